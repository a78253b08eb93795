//! Descriptors resolved into what the generator needs: Rust names, paths, field shapes.

use std::collections::{BTreeMap, HashMap, HashSet};

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    FileDescriptorSet, ServiceDescriptorProto, SourceCodeInfo,
};

use crate::Error;
use crate::names::{
    UNQUALIFIED_LOWER, escape, json_name, screaming_snake, snake_case, upper_camel,
};

/// Scalar protobuf types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Bytes,
    Uint32,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
}

impl Scalar {
    /// The wire type of a single value.
    pub(crate) fn wire_type(self) -> u32 {
        match self {
            Self::Double | Self::Fixed64 | Self::Sfixed64 => 1,
            Self::Float | Self::Fixed32 | Self::Sfixed32 => 5,
            Self::String | Self::Bytes => 2,
            _ => 0,
        }
    }

    /// Whether repeated values of this type may be packed.
    pub(crate) fn packable(self) -> bool {
        !matches!(self, Self::String | Self::Bytes)
    }

    /// Fixed encoded width, if any.
    pub(crate) fn fixed_width(self) -> Option<usize> {
        match self.wire_type() {
            1 => Some(8),
            5 => Some(4),
            _ if self == Self::Bool => Some(1),
            _ => None,
        }
    }
}

/// The value type of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValueType {
    Scalar(Scalar),
    /// Full name with leading dot.
    Enum(String),
    /// Full name with leading dot.
    Message(String),
}

impl ValueType {
    pub(crate) fn wire_type(&self) -> u32 {
        match self {
            Self::Scalar(s) => s.wire_type(),
            Self::Enum(_) => 0,
            Self::Message(_) => 2,
        }
    }
}

/// How many values a field holds and how presence works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cardinality {
    /// proto3 singular scalar without `optional`: written when not the default.
    Implicit,
    /// Explicit presence: `optional` scalars and singular message fields.
    Optional,
    /// `repeated`; `packed` is the encoding used when writing.
    Repeated { packed: bool },
    /// `map<K, V>`.
    Map { key: Scalar, value: ValueType },
    /// A member of the real oneof with this index in the message's `oneofs`.
    Oneof(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) proto_name: String,
    pub(crate) number: u32,
    pub(crate) json_name: String,
    /// Rust field name (or oneof variant name for oneof members).
    pub(crate) rust_name: String,
    pub(crate) ty: ValueType,
    pub(crate) card: Cardinality,
    /// Singular message held in a `Box` because it is part of a containment cycle.
    pub(crate) boxed: bool,
    pub(crate) doc: Option<String>,
    /// A proto2 `[default = ..]`, in protoc's text form (the field is `None` when unset).
    pub(crate) default: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Oneof {
    pub(crate) proto_name: String,
    /// Field name in the struct.
    pub(crate) field_name: String,
    /// Enum name in the message's module.
    pub(crate) enum_name: String,
    /// Whether the enum needs the `'a` lifetime (a member borrows).
    pub(crate) needs_lifetime: bool,
    pub(crate) doc: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Message {
    /// Full name without leading dot.
    pub(crate) full_name: String,
    pub(crate) rust_name: String,
    /// Module holding nested types (snake_case of the name).
    pub(crate) module: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) oneofs: Vec<Oneof>,
    pub(crate) nested_messages: Vec<Message>,
    pub(crate) nested_enums: Vec<Enum>,
    pub(crate) doc: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct EnumValue {
    pub(crate) proto_name: String,
    pub(crate) const_name: String,
    pub(crate) number: i32,
    pub(crate) doc: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Enum {
    pub(crate) full_name: String,
    pub(crate) rust_name: String,
    pub(crate) values: Vec<EnumValue>,
    pub(crate) doc: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Method {
    pub(crate) name: String,
    pub(crate) rust_name: String,
    pub(crate) input: String,
    pub(crate) output: String,
    pub(crate) client_streaming: bool,
    pub(crate) server_streaming: bool,
    /// 0 unknown, 1 no side effects, 2 idempotent.
    pub(crate) idempotency: i32,
    pub(crate) doc: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Service {
    pub(crate) full_name: String,
    pub(crate) name: String,
    /// The server trait's name.
    pub(crate) trait_name: String,
    /// The router adapter's name (`{trait}Server`).
    pub(crate) server_name: String,
    /// The async client's name (`{trait}Client`).
    pub(crate) client_name: String,
    /// The blocking client's name (`{trait}BlockingClient`).
    pub(crate) blocking_client_name: String,
    /// The module holding the service model.
    pub(crate) module: String,
    pub(crate) methods: Vec<Method>,
    pub(crate) doc: Option<String>,
}

/// Everything generated into one package's file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Package {
    /// Dotted package name ("" for none).
    pub(crate) name: String,
    /// The generated file's name (`{package}.rs`, unless that would collide with another
    /// package's file or with `_include.rs`).
    pub(crate) file_name: String,
    pub(crate) messages: Vec<Message>,
    pub(crate) enums: Vec<Enum>,
    pub(crate) services: Vec<Service>,
}

/// Where a type lives, for path computation.
#[derive(Clone, Debug)]
pub(crate) struct TypeLocation {
    pub(crate) package: String,
    /// Module segments inside the package, then the type name.
    pub(crate) path: Vec<String>,
    /// For messages: the module holding their nested types and oneofs.
    pub(crate) module: String,
    /// For map-entry messages: the key and value.
    pub(crate) map_entry: Option<(Scalar, ValueType)>,
}

/// All types of the descriptor set by full name (leading dot), plus the packages to generate.
pub(crate) struct Model {
    pub(crate) types: HashMap<String, TypeLocation>,
    pub(crate) packages: Vec<Package>,
    /// The Rust module of every package and package prefix (`a.b` → `a::b`): the module
    /// names of its segments, snake_case and unique in their parent.
    pub(crate) package_modules: HashMap<String, Vec<String>>,
    /// Rust names in use at the top of each package's file (types, modules, sub-packages).
    names: HashMap<String, HashSet<String>>,
}

fn scalar_of(t: Type) -> Option<Scalar> {
    Some(match t {
        Type::Double => Scalar::Double,
        Type::Float => Scalar::Float,
        Type::Int64 => Scalar::Int64,
        Type::Uint64 => Scalar::Uint64,
        Type::Int32 => Scalar::Int32,
        Type::Fixed64 => Scalar::Fixed64,
        Type::Fixed32 => Scalar::Fixed32,
        Type::Bool => Scalar::Bool,
        Type::String => Scalar::String,
        Type::Bytes => Scalar::Bytes,
        Type::Uint32 => Scalar::Uint32,
        Type::Sfixed32 => Scalar::Sfixed32,
        Type::Sfixed64 => Scalar::Sfixed64,
        Type::Sint32 => Scalar::Sint32,
        Type::Sint64 => Scalar::Sint64,
        Type::Group | Type::Message | Type::Enum => return None,
    })
}

/// Leading comments by descriptor path.
struct Comments(HashMap<Vec<i32>, String>);

impl Comments {
    fn new(info: Option<&SourceCodeInfo>) -> Self {
        let mut map = HashMap::new();
        if let Some(info) = info {
            for loc in &info.location {
                if let Some(c) = &loc.leading_comments {
                    let text = c.trim_end().to_owned();
                    if !text.trim().is_empty() {
                        map.insert(loc.path.clone(), text);
                    }
                }
            }
        }
        Comments(map)
    }

    fn get(&self, path: &[i32]) -> Option<String> {
        self.0.get(path).cloned()
    }
}

// Field numbers inside descriptor.proto, for SourceCodeInfo paths.
const FILE_MESSAGE: i32 = 4;
const FILE_ENUM: i32 = 5;
const FILE_SERVICE: i32 = 6;
const MESSAGE_FIELD: i32 = 2;
const MESSAGE_NESTED: i32 = 3;
const MESSAGE_ENUM: i32 = 4;
const MESSAGE_ONEOF: i32 = 8;
const ENUM_VALUE: i32 = 2;
const SERVICE_METHOD: i32 = 2;

impl Model {
    /// Whether `name` is taken at the top of `package`'s file (a type, module or service).
    pub(crate) fn is_taken(&self, package: &str, name: &str) -> bool {
        self.names.get(package).is_some_and(|n| n.contains(name))
    }

    /// Indexes every type of `set` and resolves the files named in `generate`.
    pub(crate) fn new(set: &FileDescriptorSet, generate: &[String]) -> Result<Model, Error> {
        let mut types = HashMap::new();
        // One namespace per package (its files share one output file), seeded with the
        // modules of sub-packages (`pkg.Foo` is module `foo` inside `pkg`), the names
        // generated code uses unqualified, and the package's own module name (a module
        // named like its parent trips `clippy::module_inception`).
        let (package_modules, mut names) = package_namespaces(set);
        let mut files: Vec<&FileDescriptorProto> = set.file.iter().collect();
        files.sort_by(|a, b| a.name().cmp(b.name()));
        for file in files {
            let package = file.package.clone().unwrap_or_default();
            let prefix = if package.is_empty() {
                String::new()
            } else {
                format!(".{package}")
            };
            let taken = names.entry(package.clone()).or_default();
            for m in &file.message_type {
                index_message(&mut types, &package, &prefix, &[], m, taken);
            }
            for e in &file.enum_type {
                let name = unique_type_name(e.name(), taken);
                types.insert(
                    format!("{prefix}.{}", e.name()),
                    TypeLocation {
                        package: package.clone(),
                        path: vec![name],
                        module: String::new(),
                        map_entry: None,
                    },
                );
            }
        }
        let mut model = Model {
            types,
            packages: Vec::new(),
            package_modules,
            names,
        };
        let mut by_package: BTreeMap<String, Package> = BTreeMap::new();
        // Output must not depend on the order files were named in.
        let mut generate: Vec<&String> = generate.iter().collect();
        generate.sort();
        generate.dedup();
        for name in generate {
            let file = set.file.iter().find(|f| f.name() == name).ok_or_else(|| {
                Error::new(format!("file to generate not in descriptor set: {name}"))
            })?;
            let package = file.package.clone().unwrap_or_default();
            let mut resolved = model
                .resolve_file(file)
                .map_err(|e| Error::new(format!("{name}: {e}")))?;
            for s in &mut resolved.services {
                let taken = model.names.entry(package.clone()).or_default();
                s.trait_name = unique(upper_camel_type(&s.name), taken);
                let base = s.trait_name.trim_end_matches('_').to_owned();
                s.server_name = unique(format!("{base}Server"), taken);
                s.client_name = unique(format!("{base}Client"), taken);
                s.blocking_client_name = unique(format!("{base}BlockingClient"), taken);
                s.module = unique(module_ident(&s.name), taken);
            }
            let entry = by_package
                .entry(package.clone())
                .or_insert_with(|| Package {
                    name: package,
                    ..Package::default()
                });
            entry.messages.append(&mut resolved.messages);
            entry.enums.append(&mut resolved.enums);
            entry.services.append(&mut resolved.services);
        }
        model.packages = by_package.into_values().collect();
        // File names: `{package}.rs`, told apart case-insensitively (macOS, Windows) and
        // from `_include.rs`; `{package}.{n}.rs` names no package (a segment cannot be a
        // number).
        let mut files: HashSet<String> = ["_include.rs".to_owned()].into();
        for p in &mut model.packages {
            let stem = if p.name.is_empty() { "_" } else { &p.name };
            let mut name = format!("{stem}.rs");
            let mut n = 2;
            while !files.insert(name.to_lowercase()) {
                name = format!("{stem}.{n}.rs");
                n += 1;
            }
            p.file_name = name;
        }
        model.mark_boxed();
        Ok(model)
    }

    fn resolve_file(&self, file: &FileDescriptorProto) -> Result<Package, Error> {
        let comments = Comments::new(file.source_code_info.as_ref());
        let proto3 = file.syntax() == "proto3";
        let package = file.package.clone().unwrap_or_default();
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!(".{package}")
        };
        let mut out = Package {
            name: package.clone(),
            ..Package::default()
        };
        for (i, m) in file.message_type.iter().enumerate() {
            if m.options
                .as_ref()
                .is_some_and(prost_types::MessageOptions::map_entry)
            {
                continue;
            }
            out.messages.push(self.resolve_message(
                m,
                &prefix,
                proto3,
                &comments,
                &[FILE_MESSAGE, i as i32],
            )?);
        }
        for (i, e) in file.enum_type.iter().enumerate() {
            out.enums
                .push(self.resolve_enum(e, &prefix, &comments, &[FILE_ENUM, i as i32]));
        }
        for (i, s) in file.service.iter().enumerate() {
            out.services.push(resolve_service(
                s,
                &prefix,
                &comments,
                &[FILE_SERVICE, i as i32],
            ));
        }
        Ok(out)
    }

    fn resolve_message(
        &self,
        m: &DescriptorProto,
        prefix: &str,
        proto3: bool,
        comments: &Comments,
        path: &[i32],
    ) -> Result<Message, Error> {
        let full = format!("{prefix}.{}", m.name());
        check_json_names(full.trim_start_matches('.'), m)?;
        let loc = &self.types[&full];
        let rust_name = loc.path.last().cloned().unwrap_or_default();
        let module = loc.module.clone();

        // Real oneofs (not proto3 `optional` synthetic ones).
        let mut oneof_real = vec![false; m.oneof_decl.len()];
        for f in &m.field {
            if let Some(i) = f.oneof_index
                && !f.proto3_optional()
                && let Some(slot) = oneof_real.get_mut(i as usize)
            {
                *slot = true;
            }
        }
        let mut oneof_map = HashMap::new();
        let mut oneofs = Vec::new();
        // The nested module's names: nested types (as indexed) and their modules.
        let mut nested_names: HashSet<String> = m
            .nested_type
            .iter()
            .map(|n| format!("{full}.{}", n.name()))
            .chain(m.enum_type.iter().map(|e| format!("{full}.{}", e.name())))
            .filter_map(|n| self.types.get(&n))
            .flat_map(|l| [l.path.last().cloned().unwrap_or_default(), l.module.clone()])
            .collect();
        nested_names.extend(SHADOWED.iter().map(|s| (*s).to_owned()));
        let mut field_names = HashSet::new();
        field_names.insert("unknown_fields".to_owned());
        for (i, o) in m.oneof_decl.iter().enumerate() {
            if !oneof_real[i] {
                continue;
            }
            let mut enum_name = upper_camel(o.name());
            // Not the name of a nested type, nor one that generated code uses unqualified,
            // nor another oneof's (`a_b` and `aB`).
            if nested_names.contains(&enum_name) {
                enum_name.push_str("Oneof");
            }
            let enum_name = unique(enum_name, &mut nested_names);
            let field_name = unique(field_ident(o.name()), &mut field_names);
            let mut p = path.to_vec();
            p.extend([MESSAGE_ONEOF, i as i32]);
            oneof_map.insert(i, oneofs.len());
            oneofs.push(Oneof {
                proto_name: o.name().to_owned(),
                field_name,
                enum_name,
                needs_lifetime: false,
                doc: comments.get(&p),
            });
        }

        let mut fields = Vec::new();
        let mut variant_names: HashMap<usize, HashSet<String>> = HashMap::new();
        for (i, f) in m.field.iter().enumerate() {
            let mut p = path.to_vec();
            p.extend([MESSAGE_FIELD, i as i32]);
            let ty = match f.r#type() {
                Type::Message => ValueType::Message(f.type_name().to_owned()),
                Type::Enum => ValueType::Enum(f.type_name().to_owned()),
                Type::Group => {
                    return Err(Error::new(format!(
                        "field {}.{}: groups are not supported",
                        full.trim_start_matches('.'),
                        f.name()
                    )));
                }
                t => ValueType::Scalar(scalar_of(t).expect("scalar")),
            };
            let map_entry = match &ty {
                ValueType::Message(n) => self.types.get(n).and_then(|l| l.map_entry.clone()),
                _ => None,
            };
            let repeated = f.label() == Label::Repeated;
            let card = if let (true, Some((key, value))) = (repeated, map_entry) {
                Cardinality::Map { key, value }
            } else if repeated {
                let packable = matches!(&ty, ValueType::Scalar(s) if s.packable())
                    || matches!(ty, ValueType::Enum(_));
                let explicit = f.options.as_ref().and_then(|o| o.packed);
                Cardinality::Repeated {
                    packed: packable && explicit.unwrap_or(proto3),
                }
            } else if let Some(idx) = f.oneof_index.filter(|_| !f.proto3_optional()) {
                Cardinality::Oneof(oneof_map[&(idx as usize)])
            } else if f.proto3_optional()
                || matches!(ty, ValueType::Message(_))
                || (!proto3 && f.label() != Label::Repeated)
            {
                Cardinality::Optional
            } else {
                Cardinality::Implicit
            };
            let rust_name = if let Cardinality::Oneof(o) = card {
                unique(upper_camel(f.name()), variant_names.entry(o).or_default())
            } else {
                unique(field_ident(f.name()), &mut field_names)
            };
            fields.push(Field {
                proto_name: f.name().to_owned(),
                number: f.number() as u32,
                json_name: field_json_name(f),
                rust_name,
                ty,
                card,
                boxed: false,
                doc: comments.get(&p),
                default: f.default_value.clone(),
            });
        }
        for (o, oneof) in oneofs.iter_mut().enumerate() {
            oneof.needs_lifetime = fields.iter().any(|f| {
                f.card == Cardinality::Oneof(o)
                    && matches!(
                        f.ty,
                        ValueType::Message(_) | ValueType::Scalar(Scalar::String | Scalar::Bytes)
                    )
            });
        }

        let mut nested_messages = Vec::new();
        for (i, n) in m.nested_type.iter().enumerate() {
            if n.options
                .as_ref()
                .is_some_and(prost_types::MessageOptions::map_entry)
            {
                continue;
            }
            let mut p = path.to_vec();
            p.extend([MESSAGE_NESTED, i as i32]);
            nested_messages.push(self.resolve_message(n, &full, proto3, comments, &p)?);
        }
        let nested_enums = m
            .enum_type
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut p = path.to_vec();
                p.extend([MESSAGE_ENUM, i as i32]);
                self.resolve_enum(e, &full, comments, &p)
            })
            .collect();
        Ok(Message {
            full_name: full.trim_start_matches('.').to_owned(),
            rust_name,
            module,
            fields,
            oneofs,
            nested_messages,
            nested_enums,
            doc: comments.get(path),
        })
    }

    fn resolve_enum(
        &self,
        e: &EnumDescriptorProto,
        prefix: &str,
        comments: &Comments,
        path: &[i32],
    ) -> Enum {
        let full = format!("{prefix}.{}", e.name());
        let rust_name = self.types[&full].path.last().cloned().unwrap_or_default();
        let mut taken = HashSet::new();
        let values = e
            .value
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut p = path.to_vec();
                p.extend([ENUM_VALUE, i as i32]);
                EnumValue {
                    proto_name: v.name().to_owned(),
                    const_name: unique(screaming_snake(v.name()), &mut taken),
                    number: v.number(),
                    doc: comments.get(&p),
                }
            })
            .collect();
        Enum {
            full_name: full.trim_start_matches('.').to_owned(),
            rust_name,
            values,
            doc: comments.get(path),
        }
    }

    /// Boxes singular message fields that close a containment cycle (a message that would
    /// otherwise contain itself by value).
    fn mark_boxed(&mut self) {
        // Direct (by-value) containment edges between all messages being generated.
        let mut edges: HashMap<String, Vec<String>> = HashMap::new();
        for p in &self.packages {
            for m in &p.messages {
                collect_edges(m, &mut edges);
            }
        }
        let reaches = |from: &str, to: &str| -> bool {
            let mut stack = vec![from.to_owned()];
            let mut seen = HashSet::new();
            while let Some(n) = stack.pop() {
                if n == to {
                    return true;
                }
                if seen.insert(n.clone())
                    && let Some(next) = edges.get(&n)
                {
                    stack.extend(next.iter().cloned());
                }
            }
            false
        };
        for p in &mut self.packages {
            for m in &mut p.messages {
                apply_boxing(m, &reaches);
            }
        }
    }
}

/// Records, for `m` and its nested messages, which messages each holds by value.
fn collect_edges(m: &Message, edges: &mut HashMap<String, Vec<String>>) {
    let e = edges.entry(format!(".{}", m.full_name)).or_default();
    for f in &m.fields {
        if let (ValueType::Message(t), Cardinality::Optional | Cardinality::Oneof(_)) =
            (&f.ty, &f.card)
        {
            e.push(t.clone());
        }
    }
    for n in &m.nested_messages {
        collect_edges(n, edges);
    }
}

/// Boxes the fields of `m` (and nested messages) whose type leads back to the message.
fn apply_boxing(m: &mut Message, reaches: &dyn Fn(&str, &str) -> bool) {
    let me = format!(".{}", m.full_name);
    for f in &mut m.fields {
        if let (ValueType::Message(t), Cardinality::Optional | Cardinality::Oneof(_)) =
            (&f.ty, &f.card)
        {
            f.boxed = reaches(t, &me);
        }
    }
    for n in &mut m.nested_messages {
        apply_boxing(n, reaches);
    }
}

/// A field's JSON name: its `json_name` (protoc sets it on every field, protox only where
/// the `.proto` file does) or the lowerCamelCase one protoc derives from its name.
fn field_json_name(f: &FieldDescriptorProto) -> String {
    f.json_name.clone().unwrap_or_else(|| json_name(f.name()))
}

/// Refuses a message (`full_name`, without a leading dot) two of whose fields have the same
/// JSON name, custom or derived: no JSON could tell them apart. protoc 3.21 accepts a custom
/// `json_name` equal to another field's JSON name (newer protoc refuses it), and protox
/// refuses it without naming the fields (nor the name, when the second one is derived), so
/// both front doors check this first. Only JSON names count: a JSON name equal to another
/// field's proto name is accepted, as protoc does (on input the key is the JSON name's
/// field). Two fields with one proto name are left to the compiler, which names the
/// duplicate.
fn check_json_names(full_name: &str, m: &DescriptorProto) -> Result<(), Error> {
    let names: Vec<String> = m.field.iter().map(field_json_name).collect();
    for (i, a) in m.field.iter().enumerate() {
        let clash = m.field[..i]
            .iter()
            .zip(&names)
            .find(|(b, name)| **name == names[i] && b.name() != a.name());
        if let Some((b, name)) = clash {
            return Err(Error::new(format!(
                "message {full_name}: fields `{}` ({}) and `{}` ({}) have the same JSON name \
                 `{name}`, so JSON could not tell them apart",
                b.name(),
                b.number(),
                a.name(),
                a.number(),
            )));
        }
    }
    Ok(())
}

/// [`check_json_names`] for every message of `file`, nested ones included.
pub(crate) fn check_file_json_names(file: &FileDescriptorProto) -> Result<(), Error> {
    fn check(prefix: &str, messages: &[DescriptorProto]) -> Result<(), Error> {
        for m in messages {
            let full = if prefix.is_empty() {
                m.name().to_owned()
            } else {
                format!("{prefix}.{}", m.name())
            };
            check_json_names(&full, m)?;
            check(&full, &m.nested_type)?;
        }
        Ok(())
    }
    check(file.package(), &file.message_type)
}

fn resolve_service(
    s: &ServiceDescriptorProto,
    prefix: &str,
    comments: &Comments,
    path: &[i32],
) -> Service {
    let mut taken = HashSet::new();
    Service {
        full_name: format!("{prefix}.{}", s.name())
            .trim_start_matches('.')
            .to_owned(),
        name: s.name().to_owned(),
        // Named once the package's namespace is known (`Model::new`).
        trait_name: String::new(),
        server_name: String::new(),
        client_name: String::new(),
        blocking_client_name: String::new(),
        module: String::new(),
        methods: s
            .method
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut p = path.to_vec();
                p.extend([SERVICE_METHOD, i as i32]);
                Method {
                    name: m.name().to_owned(),
                    rust_name: unique(snake_case(m.name()), &mut taken),
                    input: m.input_type().to_owned(),
                    output: m.output_type().to_owned(),
                    client_streaming: m.client_streaming(),
                    server_streaming: m.server_streaming(),
                    idempotency: m
                        .options
                        .as_ref()
                        .map_or(0, |o| o.idempotency_level.unwrap_or(0)),
                    doc: comments.get(&p),
                }
            })
            .collect(),
        doc: comments.get(path),
    }
}

/// Rust names that generated code uses unqualified; a proto type with one of these names
/// gets a `Message` suffix so that it does not shadow them.
const SHADOWED: &[&str] = &[
    "Option", "Box", "Vec", "String", "Result", "Default", "Ok", "Err", "Some", "None",
];

fn upper_camel_type(name: &str) -> String {
    // UpperCamel (`foo_bar` → `FooBar`); names that are UpperCamel already keep their spelling.
    let mut s = if name.contains('_') || name.starts_with(|c: char| c.is_ascii_lowercase()) {
        upper_camel(name)
    } else {
        name.to_owned()
    };
    if SHADOWED.contains(&s.as_str()) {
        s.push_str("Message");
    }
    s
}

fn unique_type_name(name: &str, taken: &mut HashSet<String>) -> String {
    unique(upper_camel_type(name), taken)
}

/// `name` as spelled in Rust ([`escape`]d), with `_` appended until no name in `taken` is
/// spelled alike; records it in `taken`.
fn unique(name: impl AsRef<str>, taken: &mut HashSet<String>) -> String {
    let mut name = escape(name.as_ref());
    while !taken.insert(name.clone()) {
        name.push('_');
    }
    name
}

/// A struct field's name: snake_case, never with a leading `_` (`clippy::pub_underscore_fields`).
fn field_ident(name: &str) -> String {
    let s = snake_case(name);
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("field_{s}")
    } else {
        s
    }
}

/// A module name for a proto name (a package segment or a message): snake_case.
fn module_ident(name: &str) -> String {
    if name.chars().any(|c| c.is_ascii_alphanumeric()) {
        snake_case(name)
    } else {
        "underscore".to_owned()
    }
}

/// Names every package's module (and every package prefix's) and seeds each package's
/// namespace with what its file must not declare.
fn package_namespaces(
    set: &FileDescriptorSet,
) -> (
    HashMap<String, Vec<String>>,
    HashMap<String, HashSet<String>>,
) {
    // Children of each prefix, in sorted order so that naming is deterministic.
    let mut children: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    children.entry(String::new()).or_default();
    for file in &set.file {
        let mut parent = String::new();
        for segment in file.package().split('.').filter(|s| !s.is_empty()) {
            children
                .entry(parent.clone())
                .or_default()
                .insert(segment.to_owned());
            parent = if parent.is_empty() {
                segment.to_owned()
            } else {
                format!("{parent}.{segment}")
            };
            children.entry(parent.clone()).or_default();
        }
    }
    let mut modules: HashMap<String, Vec<String>> = HashMap::new();
    modules.insert(String::new(), Vec::new());
    let mut names: HashMap<String, HashSet<String>> = HashMap::new();
    // BTreeMap order visits a parent before its children.
    for (parent, segments) in &children {
        let parent_modules = modules.get(parent).cloned().unwrap_or_default();
        let taken = names.entry(parent.clone()).or_insert_with(|| {
            let mut t: HashSet<String> =
                UNQUALIFIED_LOWER.iter().map(|s| (*s).to_owned()).collect();
            // The package's type registry.
            t.insert("TYPES".to_owned());
            if let Some(own) = parent_modules.last() {
                t.insert(own.clone());
            }
            t
        });
        for segment in segments {
            let module = unique(module_ident(segment), taken);
            let full = if parent.is_empty() {
                segment.clone()
            } else {
                format!("{parent}.{segment}")
            };
            let mut path = parent_modules.clone();
            path.push(module);
            modules.insert(full, path);
        }
    }
    (modules, names)
}

fn index_message(
    types: &mut HashMap<String, TypeLocation>,
    package: &str,
    prefix: &str,
    modules: &[String],
    m: &DescriptorProto,
    taken: &mut HashSet<String>,
) {
    let full = format!("{prefix}.{}", m.name());
    let name = unique_type_name(m.name(), taken);
    let module = unique(module_ident(m.name()), taken);
    let mut path = modules.to_vec();
    path.push(name);
    let map_entry = if m
        .options
        .as_ref()
        .is_some_and(prost_types::MessageOptions::map_entry)
    {
        let key = m
            .field
            .iter()
            .find(|f| f.number() == 1)
            .and_then(|f| scalar_of(f.r#type()));
        let value = m
            .field
            .iter()
            .find(|f| f.number() == 2)
            .map(|f| match f.r#type() {
                Type::Message => ValueType::Message(f.type_name().to_owned()),
                Type::Enum => ValueType::Enum(f.type_name().to_owned()),
                t => ValueType::Scalar(scalar_of(t).unwrap_or(Scalar::Bytes)),
            });
        key.zip(value)
    } else {
        None
    };
    types.insert(
        full.clone(),
        TypeLocation {
            package: package.to_owned(),
            path,
            module: module.clone(),
            map_entry,
        },
    );
    let mut inner = modules.to_vec();
    inner.push(module.clone());
    // The nested module's namespace: not its own name (`clippy::module_inception`), nor a
    // name generated code uses unqualified.
    let mut nested_taken: HashSet<String> =
        UNQUALIFIED_LOWER.iter().map(|s| (*s).to_owned()).collect();
    nested_taken.insert(module);
    for n in &m.nested_type {
        index_message(types, package, &full, &inner, n, &mut nested_taken);
    }
    for e in &m.enum_type {
        let name = unique_type_name(e.name(), &mut nested_taken);
        let mut path = inner.clone();
        path.push(name);
        types.insert(
            format!("{full}.{}", e.name()),
            TypeLocation {
                package: package.to_owned(),
                path,
                module: String::new(),
                map_entry: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

    use super::check_file_json_names;

    /// Package `p`, message `M` with `fields` (name, number, `json_name`) and a nested message
    /// `N` with the same fields.
    fn file(fields: &[(&str, i32, Option<&str>)]) -> FileDescriptorProto {
        let fields: Vec<FieldDescriptorProto> = fields
            .iter()
            .map(|&(name, number, json)| FieldDescriptorProto {
                name: Some(name.to_owned()),
                number: Some(number),
                json_name: json.map(str::to_owned),
                ..Default::default()
            })
            .collect();
        FileDescriptorProto {
            package: Some("p".to_owned()),
            message_type: vec![DescriptorProto {
                name: Some("M".to_owned()),
                field: fields.clone(),
                nested_type: vec![DescriptorProto {
                    name: Some("N".to_owned()),
                    field: fields,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn json_name_conflicts_name_both_fields_and_the_name() {
        let same = |a: &str, b: &str, name: &str| {
            Some(format!(
                "message p.M: fields {a} and {b} have the same JSON name `{name}`, so JSON \
                 could not tell them apart"
            ))
        };
        for (fields, want) in [
            // A custom name equal to the derived name of a field declared after it (protox
            // named it '').
            (
                &[("a", 1, Some("b")), ("b", 2, None)][..],
                same("`a` (1)", "`b` (2)", "b"),
            ),
            // ... or before it.
            (
                &[("foo", 1, None), ("x", 2, Some("foo"))],
                same("`foo` (1)", "`x` (2)", "foo"),
            ),
            // Two custom names.
            (
                &[("a", 1, Some("b")), ("c", 2, Some("b"))],
                same("`a` (1)", "`c` (2)", "b"),
            ),
            // Two derived names (protoc refuses these too).
            (
                &[("foo_bar", 1, None), ("fooBar", 2, None)],
                same("`foo_bar` (1)", "`fooBar` (2)", "fooBar"),
            ),
            // A JSON name equal to another field's proto name: accepted, as by protoc (on
            // input the key is the JSON name's field).
            (&[("foo_bar", 1, None), ("x", 2, Some("foo_bar"))], None),
            (&[("a", 1, Some("c")), ("c", 2, Some("a"))], None),
            // One proto name twice: left to the compiler, which names the duplicate.
            (&[("a", 1, None), ("a", 2, None)], None),
        ] {
            let got = check_file_json_names(&file(fields))
                .err()
                .map(|e| e.to_string());
            assert_eq!(got, want, "{fields:?}");
        }
    }

    #[test]
    fn nested_messages_and_files_without_a_package_are_checked() {
        let mut f = file(&[("a", 1, Some("b")), ("b", 2, None)]);
        let outer = &mut f.message_type[0];
        outer.field.clear();
        let err = check_file_json_names(&f).unwrap_err().to_string();
        assert!(
            err.starts_with("message p.M.N: fields `a` (1) and `b` (2)"),
            "{err}"
        );
        f.package = None;
        let err = check_file_json_names(&f).unwrap_err().to_string();
        assert!(err.starts_with("message M.N: "), "{err}");
    }
}
