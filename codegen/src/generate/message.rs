//! Message structs and their binary codec.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens as _, format_ident, quote};

use super::{Ctx, doc, enumeration, int_lit, json, nested_module, scalar_method, scalar_type};
use crate::model::{Cardinality, Field, Message, Oneof, Package, Scalar, ValueType};
use crate::names::ident;

/// Full names of well-known types with a special JSON form (written under `"value"` inside
/// an `Any`).
pub(crate) const SPECIAL_JSON: &[&str] = &[
    "google.protobuf.Any",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.Empty",
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
];

fn tag(number: u32, wire: u32) -> u32 {
    (number << 3) | wire
}

fn tag_lit(number: u32, wire: u32) -> TokenStream {
    int_lit(i128::from(tag(number, wire)))
}

/// Encoded size of a tag.
fn tag_len(number: u32) -> usize {
    let t = u64::from(number << 3);
    (64 - (t | 1).leading_zeros() as usize).div_ceil(7)
}

/// Generates the struct, its impls and its nested module.
pub(crate) fn message(ctx: Ctx<'_>, m: &Message) -> TokenStream {
    let name = ident(&m.rust_name);
    let full_name = &m.full_name;
    let docs = doc(m.doc.as_ref(), &format!("The `{full_name}` message."));
    let inner = ctx.nested();

    let fields = m
        .fields
        .iter()
        .filter(|f| !matches!(f.card, Cardinality::Oneof(_)))
        .map(|f| {
            let fname = ident(&f.rust_name);
            let ty = field_type(ctx, f);
            let default = f
                .default
                .as_ref()
                .map(|v| format!("Default when unset: {v}"));
            let d = super::doc_with_note(
                f.doc.as_ref(),
                &format!("Field `{}` ({}).", f.proto_name, f.number),
                default.as_deref(),
            );
            quote!(#d pub #fname: #ty,)
        });
    let module = ident(&m.module);
    let oneof_fields = m.oneofs.iter().map(|o| {
        let fname = ident(&o.field_name);
        let ename = ident(&o.enum_name);
        let lt = o.needs_lifetime.then(|| quote!(<'a>));
        let d = doc(o.doc.as_ref(), &format!("Oneof `{}`.", o.proto_name));
        quote!(#d pub #fname: Option<#module::#ename #lt>,)
    });

    let uses_cache = (!needs_cache(m)).then(|| {
        quote!(
            const USES_SIZE_CACHE: bool = false;
        )
    });
    let merge = merge_field(ctx, m);
    let size = compute_size(ctx, m);
    let write = write_to(ctx, m);
    let owned = into_owned(ctx, m);
    let write_json = json::write_json(ctx, m);
    let merge_json = json::merge_json(ctx, m);

    let struct_item = quote! {
        #docs
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #name<'a> {
            #(#fields)*
            #(#oneof_fields)*
            /// Fields this version of the schema does not know, kept for a binary round trip.
            pub unknown_fields: __rt::UnknownFields<'a>,
        }

        impl<'a> __rt::Message<'a> for #name<'a> {
            const FULL_NAME: &'static str = #full_name;
            #uses_cache
            type Owned = #name<'static>;

            #owned
            #merge
            #size
            #write
            #write_json
            #merge_json
        }

        impl __rt::MessageType for #name<'static> {
            type Msg<'b> = #name<'b>;
        }
    };

    // Nested module: nested messages, enums and oneof enums.
    let mut nested: Vec<TokenStream> = Vec::new();
    for n in &m.nested_messages {
        nested.push(message(inner, n));
    }
    for e in &m.nested_enums {
        nested.push(enumeration::enumeration(e));
    }
    for (i, o) in m.oneofs.iter().enumerate() {
        nested.push(oneof_enum(inner, m, i, o));
    }
    if nested.is_empty() {
        struct_item
    } else {
        let module = nested_module(
            &m.module,
            &format!("Nested types of [`{}`].", m.rust_name),
            &nested,
        );
        quote!(#struct_item #module)
    }
}

/// The Rust type of a struct field.
fn field_type(ctx: Ctx<'_>, f: &Field) -> TokenStream {
    let v = ctx.value_type(&f.ty);
    match &f.card {
        Cardinality::Implicit => v,
        Cardinality::Optional if f.boxed => quote!(Option<Box<#v>>),
        Cardinality::Optional => quote!(Option<#v>),
        Cardinality::Repeated { .. } => quote!(Vec<#v>),
        Cardinality::Map { key, value } => {
            let k = scalar_type(*key);
            let v = ctx.value_type(value);
            quote!(__rt::BTreeMap<#k, #v>)
        }
        Cardinality::Oneof(_) => unreachable!("oneof members live in the oneof enum"),
    }
}

fn oneof_enum(ctx: Ctx<'_>, m: &Message, index: usize, o: &Oneof) -> TokenStream {
    let name = ident(&o.enum_name);
    let lt = o.needs_lifetime.then(|| quote!(<'a>));
    let static_lt = o.needs_lifetime.then(|| quote!(<'static>));
    let members: Vec<&Field> = m
        .fields
        .iter()
        .filter(|f| f.card == Cardinality::Oneof(index))
        .collect();
    let variants = members.iter().map(|f| {
        let v = ident(&f.rust_name);
        let ty = ctx.value_type(&f.ty);
        let ty = if f.boxed { quote!(Box<#ty>) } else { ty };
        let d = doc(
            f.doc.as_ref(),
            &format!("Field `{}` ({}).", f.proto_name, f.number),
        );
        quote!(#d #v(#ty),)
    });
    let owned_arms = members.iter().map(|f| {
        let v = ident(&f.rust_name);
        let conv = owned_value(&f.ty, quote!(x), f.boxed);
        quote!(Self::#v(x) => #name::#v(#conv),)
    });
    let d = doc(
        o.doc.as_ref(),
        &format!("Oneof `{}` of `{}`.", o.proto_name, m.full_name),
    );
    let owned_body = if members.len() == 1 {
        // One variant: a `let` (a one-armed `match` is `clippy::match_single_binding`).
        let f = members[0];
        let v = ident(&f.rust_name);
        let conv = owned_value(&f.ty, quote!(x), f.boxed);
        quote!(let Self::#v(x) = self; #name::#v(#conv))
    } else {
        quote!(match self { #(#owned_arms)* })
    };
    let into_owned = if o.needs_lifetime {
        quote! {
            impl #name<'_> {
                /// Turns every borrow into an owned value.
                #[must_use]
                pub fn into_owned(self) -> #name #static_lt {
                    #owned_body
                }
            }
        }
    } else {
        quote!()
    };
    let derives = if o.needs_lifetime {
        quote!(#[derive(Clone, Debug, PartialEq)])
    } else {
        quote!(#[derive(Clone, Copy, Debug, PartialEq)])
    };
    quote! {
        #d
        #derives
        pub enum #name #lt {
            #(#variants)*
        }
        #into_owned
    }
}

/// Converts a value of type `ty` held in `x` into its `'static` form.
fn owned_value(ty: &ValueType, x: TokenStream, boxed: bool) -> TokenStream {
    match ty {
        ValueType::Scalar(Scalar::String | Scalar::Bytes) => {
            quote!(__rt::Cow::Owned(#x.into_owned()))
        }
        ValueType::Scalar(_) | ValueType::Enum(_) => x,
        ValueType::Message(_) if boxed => quote!(Box::new(__rt::Message::into_owned(*#x))),
        ValueType::Message(_) => quote!(__rt::Message::into_owned(#x)),
    }
}

fn into_owned(_ctx: Ctx<'_>, m: &Message) -> TokenStream {
    let name = ident(&m.rust_name);
    let fields = m
        .fields
        .iter()
        .filter(|f| !matches!(f.card, Cardinality::Oneof(_)))
        .map(|f| {
            let n = ident(&f.rust_name);
            let src = quote!(self.#n);
            let conv = match &f.card {
                Cardinality::Implicit => owned_value(&f.ty, src, false),
                Cardinality::Optional => {
                    let c = owned_value(&f.ty, quote!(x), f.boxed);
                    if c.to_string() == "x" {
                        src
                    } else if matches!(f.ty, ValueType::Message(_)) && !f.boxed {
                        quote!(#src.map(__rt::Message::into_owned))
                    } else {
                        quote!(#src.map(|x| #c))
                    }
                }
                Cardinality::Repeated { .. } => {
                    let c = owned_value(&f.ty, quote!(x), false);
                    if c.to_string() == "x" {
                        src
                    } else if matches!(f.ty, ValueType::Message(_)) {
                        quote!(#src.into_iter().map(__rt::Message::into_owned).collect())
                    } else {
                        quote!(#src.into_iter().map(|x| #c).collect())
                    }
                }
                Cardinality::Map { key, value } => {
                    let k = owned_value(&ValueType::Scalar(*key), quote!(k), false);
                    let v = owned_value(value, quote!(v), false);
                    if k.to_string() == "k" && v.to_string() == "v" {
                        src
                    } else {
                        quote!(#src.into_iter().map(|(k, v)| (#k, #v)).collect())
                    }
                }
                Cardinality::Oneof(_) => unreachable!(),
            };
            quote!(#n: #conv,)
        });
    let oneofs = m.oneofs.iter().map(|o| {
        let n = ident(&o.field_name);
        if o.needs_lifetime {
            let module = ident(&m.module);
            let en = ident(&o.enum_name);
            quote!(#n: self.#n.map(#module::#en::into_owned),)
        } else {
            quote!(#n: self.#n,)
        }
    });
    quote! {
        fn into_owned(self) -> #name<'static> {
            #name {
                #(#fields)*
                #(#oneofs)*
                unknown_fields: self.unknown_fields.into_owned(),
            }
        }
    }
}

/// The decode expression for one value of `ty`, reading from `d`.
fn read_value(ctx: Ctx<'_>, ty: &ValueType) -> TokenStream {
    match ty {
        ValueType::Scalar(s) => {
            let m = scalar_method(*s);
            quote!(d.#m()?)
        }
        ValueType::Enum(_) => quote!(d.enumeration()?),
        ValueType::Message(n) => {
            let p = ctx.type_path(n);
            quote!({
                let mut m = #p::default();
                d.message(&mut m)?;
                m
            })
        }
    }
}

fn merge_field(ctx: Ctx<'_>, m: &Message) -> TokenStream {
    let module = ident(&m.module);
    let mut arms = Vec::new();
    for f in &m.fields {
        let n = ident(&f.rust_name);
        let wire = f.ty.wire_type();
        let t = tag_lit(f.number, wire);
        match &f.card {
            Cardinality::Implicit => {
                let r = read_value(ctx, &f.ty);
                arms.push(quote!(#t => self.#n = #r,));
            }
            Cardinality::Optional => match &f.ty {
                ValueType::Message(_) if f.boxed => {
                    arms.push(quote!(#t => {
                        d.message(self.#n.get_or_insert_default().as_mut())?;
                    }));
                }
                ValueType::Message(_) => {
                    arms.push(quote!(#t => {
                        d.message(self.#n.get_or_insert_default())?;
                    }));
                }
                ty => {
                    let r = read_value(ctx, ty);
                    arms.push(quote!(#t => self.#n = Some(#r),));
                }
            },
            Cardinality::Repeated { .. } => {
                if let ValueType::Message(tn) = &f.ty {
                    let p = ctx.type_path(tn);
                    arms.push(quote!(#t => {
                        let mut m = #p::default();
                        d.message(&mut m)?;
                        self.#n.push(m);
                    }));
                } else {
                    let r = read_value(ctx, &f.ty);
                    arms.push(quote!(#t => self.#n.push(#r),));
                }
                let packable = match &f.ty {
                    ValueType::Scalar(s) => s.packable(),
                    ValueType::Enum(_) => true,
                    ValueType::Message(_) => false,
                };
                if packable {
                    let pt = tag_lit(f.number, 2);
                    let width = Literal::usize_unsuffixed(match wire {
                        1 => 8,
                        5 => 4,
                        _ => 0,
                    });
                    let read = if let ValueType::Scalar(s) = &f.ty {
                        let m = scalar_method(*s);
                        quote!(__rt::Decoder::#m)
                    } else {
                        quote!(__rt::Decoder::enumeration)
                    };
                    arms.push(quote!(#pt => {
                        d.packed(&mut self.#n, #width, #read)?;
                    }));
                }
            }
            Cardinality::Map { key, value } => {
                let kt = tag_lit(1, key.wire_type());
                let vt = tag_lit(2, value.wire_type());
                let kr = read_value(ctx, &ValueType::Scalar(*key));
                let vr = match value {
                    ValueType::Message(_) => quote!(d.message(&mut v)?),
                    other => {
                        let r = read_value(ctx, other);
                        quote!(v = #r)
                    }
                };
                let kty = scalar_type(*key);
                let vty = ctx.value_type(value);
                arms.push(quote! {
                    #t => {
                        let mut k = <#kty>::default();
                        let mut v = <#vty>::default();
                        d.map_entry(|tag, d| {
                            match tag {
                                #kt => k = #kr,
                                #vt => #vr,
                                _ => return Ok(false),
                            }
                            Ok(true)
                        })?;
                        self.#n.insert(k, v);
                    }
                });
            }
            Cardinality::Oneof(o) => {
                let oneof = &m.oneofs[*o];
                let on = ident(&oneof.field_name);
                let en = ident(&oneof.enum_name);
                let path = quote!(#module::#en);
                match &f.ty {
                    ValueType::Message(_) => {
                        let ty = match &f.ty {
                            ValueType::Message(tn) => ctx.type_path(tn),
                            _ => ctx.value_type(&f.ty),
                        };
                        let (wrap, inner) = if f.boxed {
                            (quote!(Box::new(#ty::default())), quote!(v.as_mut()))
                        } else {
                            (quote!(#ty::default()), quote!(&mut v))
                        };
                        let existing = if f.boxed {
                            quote!(v.as_mut())
                        } else {
                            quote!(v)
                        };
                        arms.push(quote! {
                            #t => {
                                if let Some(#path::#n(v)) = &mut self.#on {
                                    d.message(#existing)?;
                                } else {
                                    let mut v = #wrap;
                                    d.message(#inner)?;
                                    self.#on = Some(#path::#n(v));
                                }
                            }
                        });
                    }
                    ty => {
                        let r = read_value(ctx, ty);
                        arms.push(quote!(#t => self.#on = Some(#path::#n(#r)),));
                    }
                }
            }
        }
    }
    if arms.is_empty() {
        return quote! {
            fn merge_field(&mut self, tag: u32, d: &mut __rt::Decoder<'a>) -> Result<(), __rt::DecodeError> {
                d.unknown(tag, &mut self.unknown_fields)
            }
        };
    }
    quote! {
        fn merge_field(&mut self, tag: u32, d: &mut __rt::Decoder<'a>) -> Result<(), __rt::DecodeError> {
            match tag {
                #(#arms)*
                _ => {
                    d.unknown(tag, &mut self.unknown_fields)?;
                }
            }
            Ok(())
        }
    }
}

/// Size of one value (without tag) held in `v` (a reference for strings/bytes/messages, a
/// value for the rest).
fn value_size(ty: &ValueType, v: &TokenStream) -> TokenStream {
    match ty {
        ValueType::Scalar(s) => match s {
            Scalar::Double | Scalar::Fixed64 | Scalar::Sfixed64 => quote!(8),
            Scalar::Float | Scalar::Fixed32 | Scalar::Sfixed32 => quote!(4),
            Scalar::Bool => quote!(1),
            Scalar::Int32 => quote!(__rt::int32_len(#v)),
            Scalar::Int64 => quote!(__rt::int64_len(#v)),
            Scalar::Uint32 => quote!(__rt::uint32_len(#v)),
            Scalar::Uint64 => quote!(__rt::uint64_len(#v)),
            Scalar::Sint32 => quote!(__rt::sint32_len(#v)),
            Scalar::Sint64 => quote!(__rt::sint64_len(#v)),
            Scalar::String | Scalar::Bytes => quote!(__rt::len_delimited_len(#v.len())),
        },
        ValueType::Enum(_) => quote!(__rt::int32_len(__rt::Enumeration::number(#v))),
        ValueType::Message(_) => quote!(__rt::len_delimited_len(sizes.message(#v))),
    }
}

/// The encoded size of every value of `ty`, when it does not depend on the value.
fn constant_size(ty: &ValueType) -> Option<usize> {
    match ty {
        ValueType::Scalar(s) => s.fixed_width(),
        _ => None,
    }
}

/// Like [`value_size`], in the write pass: message sizes are read back from the cache.
fn value_size_in_write(ty: &ValueType, v: &TokenStream) -> TokenStream {
    match ty {
        ValueType::Message(_) => quote!(__rt::len_delimited_len(e.peek_size())),
        _ => value_size(ty, v),
    }
}

/// Write of one value (without tag).
fn value_write(ty: &ValueType, v: &TokenStream) -> TokenStream {
    match ty {
        ValueType::Scalar(s) => {
            let m = scalar_method(*s);
            quote!(e.#m(#v);)
        }
        ValueType::Enum(_) => quote!(e.enumeration(#v);),
        ValueType::Message(_) => quote!(e.message(#v);),
    }
}

/// The condition under which an implicit-presence field is written.
pub(crate) fn non_default(ty: &ValueType, v: &TokenStream) -> TokenStream {
    match ty {
        ValueType::Scalar(Scalar::Double | Scalar::Float) => quote!(#v.to_bits() != 0),
        ValueType::Scalar(Scalar::Bool) => quote!(#v),
        ValueType::Scalar(Scalar::String | Scalar::Bytes) => quote!(!#v.is_empty()),
        ValueType::Scalar(_) => quote!(#v != 0),
        ValueType::Enum(_) => quote!(__rt::Enumeration::number(#v) != 0),
        ValueType::Message(_) => quote!(true),
    }
}

/// Whether values of `ty` are bound by reference in loops and patterns.
pub(crate) fn by_ref(ty: &ValueType) -> bool {
    matches!(
        ty,
        ValueType::Message(_) | ValueType::Scalar(Scalar::String | Scalar::Bytes)
    )
}

/// A field's contribution in both passes: (size expression statements, write statements).
/// Both visit nested messages in the same order, which keeps the size cache aligned.
fn field_passes(m: &Message, f: &Field) -> (TokenStream, TokenStream) {
    let n = ident(&f.rust_name);
    let wire = f.ty.wire_type();
    let t = tag_lit(f.number, wire);
    let tl = Literal::usize_unsuffixed(tag_len(f.number));
    let deref = |v: TokenStream| if by_ref(&f.ty) { v } else { quote!(*#v) };
    match &f.card {
        Cardinality::Implicit => {
            let v = quote!(self.#n);
            let cond = non_default(&f.ty, &v);
            let vr = if by_ref(&f.ty) {
                quote!(&self.#n)
            } else {
                v.clone()
            };
            let size = value_size(&f.ty, &v);
            let write = value_write(&f.ty, &vr);
            (
                quote!(if #cond { len += #tl + #size; }),
                quote!(if #cond { e.tag(#t); #write }),
            )
        }
        Cardinality::Optional => {
            let v = if f.boxed {
                quote!(v.as_ref())
            } else {
                deref(quote!(v))
            };
            let size = if let Some(c) = constant_size(&f.ty) {
                let c = Literal::usize_unsuffixed(c);
                quote!(if self.#n.is_some() { len += #tl + #c; })
            } else {
                let size = value_size(&f.ty, &v);
                quote!(if let Some(v) = &self.#n { len += #tl + #size; })
            };
            let write = value_write(&f.ty, &v);
            (
                size,
                quote!(if let Some(v) = &self.#n { e.tag(#t); #write }),
            )
        }
        Cardinality::Repeated { packed: true } => {
            let pt = tag_lit(f.number, 2);
            let v = quote!(*v);
            let per = value_size(&f.ty, &v);
            let write = value_write(&f.ty, &v);
            let fixed = match &f.ty {
                ValueType::Scalar(s) => s.fixed_width(),
                _ => None,
            };
            match fixed {
                Some(w) => {
                    let payload = if w == 1 {
                        quote!(self.#n.len())
                    } else {
                        let w = Literal::usize_unsuffixed(w);
                        quote!(self.#n.len() * #w)
                    };
                    (
                        quote!(if !self.#n.is_empty() { len += #tl + __rt::len_delimited_len(#payload); }),
                        quote!(if !self.#n.is_empty() {
                            e.tag(#pt);
                            e.len_prefix(#payload);
                            for v in &self.#n { #write }
                        }),
                    )
                }
                None => (
                    quote!(if !self.#n.is_empty() {
                        let slot = sizes.reserve();
                        let payload: usize = self.#n.iter().map(|v| #per).sum();
                        sizes.set(slot, payload);
                        len += #tl + __rt::len_delimited_len(payload);
                    }),
                    quote!(if !self.#n.is_empty() {
                        e.tag(#pt);
                        let payload = e.next_size();
                        e.len_prefix(payload);
                        for v in &self.#n { #write }
                    }),
                ),
            }
        }
        Cardinality::Repeated { packed: false } => {
            let v = deref(quote!(v));
            let write = value_write(&f.ty, &v);
            let size = if let Some(c) = constant_size(&f.ty) {
                let c = Literal::usize_unsuffixed(c);
                quote!(len += self.#n.len() * (#tl + #c);)
            } else {
                let size = value_size(&f.ty, &v);
                quote!(for v in &self.#n { len += #tl + #size; })
            };
            (size, quote!(for v in &self.#n { e.tag(#t); #write }))
        }
        Cardinality::Map { key, value } => {
            let kty = ValueType::Scalar(*key);
            let kv = if by_ref(&kty) { quote!(k) } else { quote!(*k) };
            let vv = if by_ref(value) { quote!(v) } else { quote!(*v) };
            let kw = value_write(&kty, &kv);
            let vw = value_write(value, &vv);
            let kt = tag_lit(1, key.wire_type());
            let vt = tag_lit(2, value.wire_type());
            let size = if let (Some(a), Some(b)) = (constant_size(&kty), constant_size(value)) {
                let entry = Literal::usize_unsuffixed(2 + a + b);
                quote!(len += self.#n.len() * (#tl + __rt::len_delimited_len(#entry));)
            } else {
                let kb = if constant_size(&kty).is_some() {
                    quote!(_)
                } else {
                    quote!(k)
                };
                let vb = if constant_size(value).is_some() {
                    quote!(_)
                } else {
                    quote!(v)
                };
                let ks = value_size(&kty, &kv);
                let vs = value_size(value, &vv);
                let iter = match (kb.to_string().as_str(), vb.to_string().as_str()) {
                    ("_", _) => quote!(v in self.#n.values()),
                    (_, "_") => quote!(k in self.#n.keys()),
                    _ => quote!((k, v) in &self.#n),
                };
                quote!(for #iter {
                    len += #tl + __rt::len_delimited_len(2 + #ks + #vs);
                })
            };
            let ks = value_size_in_write(&kty, &kv);
            let vs = value_size_in_write(value, &vv);
            (
                size,
                quote!(for (k, v) in &self.#n {
                    e.tag(#t);
                    e.len_prefix(2 + #ks + #vs);
                    e.tag(#kt);
                    #kw
                    e.tag(#vt);
                    #vw
                }),
            )
        }
        Cardinality::Oneof(_) => {
            let _ = m;
            unreachable!("oneofs are sized per oneof")
        }
    }
}

/// What puts two oneof members' size arms in one arm (clippy's `match_same_arms` flags arms
/// with equal bodies, and compares constant bodies by value: `1 + 8` equals `5 + 4`).
#[derive(PartialEq)]
enum SizeKey {
    /// Members of constant size (fixed-width scalars, bound with `_`): the size, tag included.
    Constant(usize),
    /// Members bound with `v`: one arm binds `v` at one type, so the value type (boxed or
    /// not) must be the same as well as the body.
    Computed {
        ty: ValueType,
        boxed: bool,
        body: String,
    },
}

/// One arm of a oneof's size `match`: the variants it covers and their size.
struct SizeArm {
    key: SizeKey,
    patterns: Vec<TokenStream>,
    body: TokenStream,
}

impl SizeArm {
    /// Puts a member in the arm of its key, or in a new arm.
    fn add(arms: &mut Vec<SizeArm>, key: SizeKey, pattern: TokenStream, body: TokenStream) {
        let Some(arm) = arms.iter_mut().find(|a| a.key == key) else {
            arms.push(SizeArm {
                key,
                patterns: vec![pattern],
                body,
            });
            return;
        };
        arm.patterns.push(pattern);
        // Constant members whose tag and width differ (`1 + 8`, `5 + 4`): the sum alone.
        if let SizeKey::Constant(size) = arm.key
            && arm.body.to_string() != body.to_string()
        {
            arm.body = Literal::usize_unsuffixed(size).into_token_stream();
        }
    }
}

fn oneof_passes(m: &Message, index: usize, o: &Oneof) -> (TokenStream, TokenStream) {
    let on = ident(&o.field_name);
    let module = ident(&m.module);
    let en = ident(&o.enum_name);
    let mut size_arms: Vec<SizeArm> = Vec::new();
    // Bodies of write arms differ in their tags, so none is ever merged.
    let mut write_arms = Vec::new();
    let members: Vec<&Field> = m
        .fields
        .iter()
        .filter(|f| f.card == Cardinality::Oneof(index))
        .collect();
    for f in members.iter().copied() {
        let vn = ident(&f.rust_name);
        let t = tag_lit(f.number, f.ty.wire_type());
        let tl = Literal::usize_unsuffixed(tag_len(f.number));
        let v = if f.boxed {
            quote!(v.as_ref())
        } else if by_ref(&f.ty) {
            quote!(v)
        } else {
            quote!(*v)
        };
        let write = value_write(&f.ty, &v);
        write_arms.push((quote!(#module::#en::#vn(v)), quote!({ e.tag(#t); #write })));
        if let Some(width) = constant_size(&f.ty) {
            let w = Literal::usize_unsuffixed(width);
            SizeArm::add(
                &mut size_arms,
                SizeKey::Constant(tag_len(f.number) + width),
                quote!(#module::#en::#vn(_)),
                quote!(#tl + #w),
            );
        } else {
            let size = value_size(&f.ty, &v);
            let size = quote!(#tl + #size);
            let key = SizeKey::Computed {
                ty: f.ty.clone(),
                boxed: f.boxed,
                body: size.to_string(),
            };
            SizeArm::add(&mut size_arms, key, quote!(#module::#en::#vn(v)), size);
        }
    }
    // One arm (one member, or members of one size): `if` or `if let` (a one-armed `match` is
    // `clippy::match_single_binding` or reads like one).
    let size = if let [arm] = size_arms.as_slice() {
        let (patterns, body) = (&arm.patterns, &arm.body);
        match arm.key {
            SizeKey::Constant(_) => quote!(if self.#on.is_some() { len += #body; }),
            SizeKey::Computed { .. } => {
                quote!(if let Some(#(#patterns)|*) = &self.#on { len += #body; })
            }
        }
    } else {
        let arms = size_arms.iter().map(|a| {
            let (patterns, body) = (&a.patterns, &a.body);
            quote!(#(#patterns)|* => #body,)
        });
        quote!(if let Some(o) = &self.#on { len += match o { #(#arms)* }; })
    };
    let write = if let [(pattern, write)] = write_arms.as_slice() {
        quote!(if let Some(#pattern) = &self.#on #write)
    } else {
        let arms = write_arms.iter().map(|(p, w)| quote!(#p => #w));
        quote!(if let Some(o) = &self.#on { match o { #(#arms)* } })
    };
    (size, write)
}

/// Both passes over all fields in field-number order (a oneof at its first member).
fn passes(m: &Message) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut fields: Vec<&Field> = m.fields.iter().collect();
    fields.sort_by_key(|f| f.number);
    let mut sizes = Vec::new();
    let mut writes = Vec::new();
    let mut done_oneofs = Vec::new();
    for f in fields {
        let (s, w) = if let Cardinality::Oneof(o) = f.card {
            if done_oneofs.contains(&o) {
                continue;
            }
            done_oneofs.push(o);
            oneof_passes(m, o, &m.oneofs[o])
        } else {
            field_passes(m, f)
        };
        sizes.push(s);
        writes.push(w);
    }
    (sizes, writes)
}

/// Whether sizing records anything in the size cache (nested messages, maps of messages,
/// packed varints).
fn needs_cache(m: &Message) -> bool {
    m.fields.iter().any(|f| match &f.card {
        // A map field's type is its entry message, whose size is not cached.
        Cardinality::Map { value, .. } => matches!(value, ValueType::Message(_)),
        Cardinality::Repeated { packed: true } => {
            !matches!(&f.ty, ValueType::Scalar(s) if s.fixed_width().is_some())
        }
        _ => matches!(f.ty, ValueType::Message(_)),
    })
}

fn compute_size(_ctx: Ctx<'_>, m: &Message) -> TokenStream {
    let (sizes, _) = passes(m);
    let uses_cache = needs_cache(m);
    let param = if uses_cache {
        quote!(sizes)
    } else {
        quote!(_sizes)
    };
    if sizes.is_empty() {
        return quote! {
            fn compute_size(&self, _sizes: &mut __rt::SizeCache) -> usize {
                self.unknown_fields.as_bytes().len()
            }
        };
    }
    quote! {
        fn compute_size(&self, #param: &mut __rt::SizeCache) -> usize {
            let mut len = 0;
            #(#sizes)*
            len + self.unknown_fields.as_bytes().len()
        }
    }
}

fn write_to(_ctx: Ctx<'_>, m: &Message) -> TokenStream {
    let (_, writes) = passes(m);
    quote! {
        fn write_to(&self, e: &mut __rt::Encoder<'_>) {
            #(#writes)*
            e.raw(self.unknown_fields.as_bytes());
        }
    }
}

/// The package's `TYPES` slice for the `Any` type registry.
pub(crate) fn registry(ctx: Ctx<'_>, package: &Package) -> TokenStream {
    fn collect(ctx: Ctx<'_>, m: &Message, out: &mut Vec<TokenStream>) {
        let path = ctx.type_path(&format!(".{}", m.full_name));
        let name = &m.full_name;
        let special = SPECIAL_JSON.contains(&name.as_str());
        // A field whose JSON name is `@type` would be written next to the `Any`'s own.
        let write = if m.fields.iter().any(|f| f.json_name == "@type") {
            quote!(|_, _| Err(__rt::JsonError::new(__rt::JsonErrorKind::Unrepresentable).at(#name, "@type")))
        } else {
            quote!(|b, w| __rt::json::write_entry::<#path<'_>>(b, w))
        };
        out.push(quote! {
            __rt::TypeEntry {
                full_name: #name,
                special_json: #special,
                write_json: #write,
                read_json: |v, d, out| __rt::json::read_entry::<#path<'_>>(v, d, out, #special),
            },
        });
        for n in &m.nested_messages {
            collect(ctx, n, out);
        }
    }
    let mut entries = Vec::new();
    for m in &package.messages {
        collect(ctx, m, &mut entries);
    }
    let _ = format_ident!("x");
    quote! {
        /// Every message of this package, for the `Any` type registry
        /// (`TypeRegistry::new().with(TYPES)`).
        pub const TYPES: &[__rt::TypeEntry] = &[
            #(#entries)*
        ];
    }
}
