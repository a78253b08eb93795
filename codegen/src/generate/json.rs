//! The canonical proto3 JSON codec of generated messages.

use std::collections::HashSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Ctx;
use super::message::{by_ref, non_default};
use crate::model::{Cardinality, Field, Message, Scalar, ValueType};
use crate::names::ident;

const NULL_VALUE: &str = ".google.protobuf.NullValue";
const VALUE: &str = ".google.protobuf.Value";

fn is_null_value(ty: &ValueType) -> bool {
    matches!(ty, ValueType::Enum(n) if n == NULL_VALUE)
}

/// Whether JSON `null` is a value of this type rather than "absent".
fn null_is_value(ty: &ValueType) -> bool {
    is_null_value(ty) || matches!(ty, ValueType::Message(n) if n == VALUE)
}

/// The `JsonWriter` / `read` function for a scalar: JSON only distinguishes 32/64-bit signed
/// and unsigned integers, floats, bools, strings and bytes.
fn json_method(s: Scalar) -> TokenStream {
    match s {
        Scalar::Double => quote!(double),
        Scalar::Float => quote!(float),
        Scalar::Int64 | Scalar::Sint64 | Scalar::Sfixed64 => quote!(int64),
        Scalar::Uint64 | Scalar::Fixed64 => quote!(uint64),
        Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => quote!(int32),
        Scalar::Uint32 | Scalar::Fixed32 => quote!(uint32),
        Scalar::Bool => quote!(bool),
        Scalar::String => quote!(string),
        Scalar::Bytes => quote!(bytes),
    }
}

/// Writes one value held in `v` (a reference for strings/bytes/messages, else a value).
fn write_value(ty: &ValueType, v: &TokenStream, full: &str, json: &str) -> TokenStream {
    match ty {
        ValueType::Scalar(s) => {
            let m = json_method(*s);
            quote!(w.#m(#v);)
        }
        ValueType::Enum(_) if is_null_value(ty) => quote!(w.null();),
        ValueType::Enum(_) => quote!(w.enumeration(#v);),
        ValueType::Message(_) => {
            quote!(__rt::json::Locate::at(__rt::Message::write_json(#v, w), #full, #json)?;)
        }
    }
}

/// Reads one value of `ty` from `item`; evaluates to the value. Enums evaluate to an
/// `Option` (None: unknown name being ignored).
fn read_value(
    ctx: Ctx<'_>,
    ty: &ValueType,
    item: &TokenStream,
    full: &str,
    json: &str,
) -> TokenStream {
    match ty {
        ValueType::Scalar(s) => {
            let m = json_method(*s);
            quote!(__rt::json::Locate::at(__rt::read::#m(#item), #full, #json)?)
        }
        ValueType::Enum(n) if is_null_value(ty) => {
            let p = ctx.type_path(n);
            quote!(if __rt::read::is_null(#item) {
                Some(#p::default())
            } else {
                __rt::json::Locate::at(__rt::read::enumeration(#item, d), #full, #json)?
            })
        }
        ValueType::Enum(_) => {
            quote!(__rt::json::Locate::at(__rt::read::enumeration(#item, d), #full, #json)?)
        }
        ValueType::Message(n) => {
            let p = ctx.type_path(n);
            quote!({
                let mut m = #p::default();
                __rt::json::Locate::at(d.message(#item, &mut m), #full, #json)?;
                m
            })
        }
    }
}

fn write_field(m: &Message, f: &Field) -> TokenStream {
    let full = &m.full_name;
    let n = ident(&f.rust_name);
    let json = &f.json_name;
    match &f.card {
        Cardinality::Implicit => {
            let v = quote!(self.#n);
            let cond = non_default(&f.ty, &v);
            let vr = if by_ref(&f.ty) { quote!(&self.#n) } else { v };
            let w = write_value(&f.ty, &vr, full, json);
            quote!(if #cond { w.key(#json); #w })
        }
        Cardinality::Optional => {
            let v = if f.boxed {
                quote!(v.as_ref())
            } else if by_ref(&f.ty) {
                quote!(v)
            } else {
                quote!(*v)
            };
            let w = write_value(&f.ty, &v, full, json);
            if is_null_value(&f.ty) {
                quote!(if self.#n.is_some() { w.key(#json); #w })
            } else {
                quote!(if let Some(v) = &self.#n { w.key(#json); #w })
            }
        }
        Cardinality::Repeated { .. } => {
            let v = if by_ref(&f.ty) { quote!(v) } else { quote!(*v) };
            let w = write_value(&f.ty, &v, full, json);
            // `null` says it all for NullValue elements.
            let bind = if is_null_value(&f.ty) {
                quote!(_)
            } else {
                quote!(v)
            };
            quote!(if !self.#n.is_empty() {
                w.key(#json);
                w.begin_array();
                for #bind in &self.#n {
                    w.elem();
                    #w
                }
                w.end_array();
            })
        }
        Cardinality::Map { key, value } => {
            let k = match key {
                Scalar::String => quote!(w.key(k);),
                Scalar::Bool => quote!(w.key_bool(*k);),
                Scalar::Uint32 | Scalar::Fixed32 => quote!(w.key_uint(u64::from(*k));),
                Scalar::Uint64 | Scalar::Fixed64 => quote!(w.key_uint(*k);),
                Scalar::Int64 | Scalar::Sint64 | Scalar::Sfixed64 => quote!(w.key_int(*k);),
                _ => quote!(w.key_int(i64::from(*k));),
            };
            let v = if by_ref(value) { quote!(v) } else { quote!(*v) };
            let wv = write_value(value, &v, full, json);
            let iter = if is_null_value(value) {
                quote!(k in self.#n.keys())
            } else {
                quote!((k, v) in &self.#n)
            };
            quote!(if !self.#n.is_empty() {
                w.key(#json);
                w.begin_object();
                for #iter {
                    #k
                    #wv
                }
                w.end_object();
            })
        }
        Cardinality::Oneof(_) => unreachable!("oneofs are written per oneof"),
    }
}

fn write_oneof(m: &Message, index: usize) -> TokenStream {
    let o = &m.oneofs[index];
    let on = ident(&o.field_name);
    let module = ident(&m.module);
    let en = ident(&o.enum_name);
    let arms = m
        .fields
        .iter()
        .filter(|f| f.card == Cardinality::Oneof(index))
        .map(|f| {
            let vn = ident(&f.rust_name);
            let json = &f.json_name;
            let v = if f.boxed {
                quote!(v.as_ref())
            } else if by_ref(&f.ty) {
                quote!(v)
            } else {
                quote!(*v)
            };
            let w = write_value(&f.ty, &v, &m.full_name, json);
            let bind = if is_null_value(&f.ty) {
                quote!(_)
            } else {
                quote!(v)
            };
            (
                quote!(#module::#en::#vn(#bind)),
                quote!({ w.key(#json); #w }),
            )
        })
        .collect::<Vec<_>>();
    if let [(pat, body)] = arms.as_slice() {
        // One member: `if let` (a one-armed `match` is `clippy::match_single_binding`).
        return quote!(if let Some(#pat) = &self.#on #body);
    }
    let arms = arms.iter().map(|(pat, body)| quote!(#pat => #body));
    quote!(if let Some(o) = &self.#on { match o { #(#arms)* } })
}

/// `write_json` for a message.
pub(crate) fn write_json(ctx: Ctx<'_>, m: &Message) -> TokenStream {
    if let Some(special) = special_write(ctx, m) {
        return quote! {
            fn write_json(&self, w: &mut __rt::JsonWriter<'_>) -> Result<(), __rt::JsonError> {
                #special
            }
        };
    }
    let mut fields: Vec<&Field> = m.fields.iter().collect();
    fields.sort_by_key(|f| f.number);
    let mut done = Vec::new();
    let mut body = Vec::new();
    for f in fields {
        if let Cardinality::Oneof(o) = f.card {
            if !done.contains(&o) {
                done.push(o);
                body.push(write_oneof(m, o));
            }
        } else {
            body.push(write_field(m, f));
        }
    }
    quote! {
        fn write_json(&self, w: &mut __rt::JsonWriter<'_>) -> Result<(), __rt::JsonError> {
            w.begin_object();
            #(#body)*
            w.end_object();
            Ok(())
        }
    }
}

/// The statements of one match arm reading field `f` from `value`.
fn read_field(ctx: Ctx<'_>, m: &Message, f: &Field) -> TokenStream {
    let full = &m.full_name;
    let n = ident(&f.rust_name);
    let json = &f.json_name;
    let item = quote!(value);
    let body = match &f.card {
        Cardinality::Implicit => {
            let r = read_value(ctx, &f.ty, &item, full, json);
            if matches!(f.ty, ValueType::Enum(_)) {
                quote!(if let Some(e) = #r { self.#n = e; })
            } else {
                quote!(self.#n = #r;)
            }
        }
        Cardinality::Optional => match &f.ty {
            ValueType::Message(_) => {
                let target = if f.boxed {
                    quote!(self.#n.get_or_insert_default().as_mut())
                } else {
                    quote!(self.#n.get_or_insert_default())
                };
                quote!(__rt::json::Locate::at(d.message(value, #target), #full, #json)?;)
            }
            ValueType::Enum(_) => {
                let r = read_value(ctx, &f.ty, &item, full, json);
                quote!(if let Some(e) = #r { self.#n = Some(e); })
            }
            ValueType::Scalar(_) => {
                let r = read_value(ctx, &f.ty, &item, full, json);
                quote!(self.#n = Some(#r);)
            }
        },
        Cardinality::Repeated { .. } => {
            let element = quote!(item);
            let r = read_value(ctx, &f.ty, &element, full, json);
            let push = if matches!(f.ty, ValueType::Enum(_)) {
                quote!(if let Some(e) = #r { self.#n.push(e); })
            } else {
                quote!(self.#n.push(#r);)
            };
            quote! {
                for item in &__rt::json::Locate::at(__rt::read::array(value), #full, #json)? {
                    #push
                }
            }
        }
        Cardinality::Map { key, value: vty } => {
            let k = match key {
                Scalar::String => quote!(__rt::Cow::Borrowed(k)),
                Scalar::Bool => {
                    quote!(__rt::json::Locate::at(__rt::read::key_bool(k), #full, #json)?)
                }
                Scalar::Int32 | Scalar::Sint32 | Scalar::Sfixed32 => {
                    quote!(__rt::json::Locate::at(__rt::read::key_int32(k), #full, #json)?)
                }
                Scalar::Uint32 | Scalar::Fixed32 => {
                    quote!(__rt::json::Locate::at(__rt::read::key_uint32(k), #full, #json)?)
                }
                Scalar::Int64 | Scalar::Sint64 | Scalar::Sfixed64 => {
                    quote!(__rt::json::Locate::at(__rt::read::key_int64(k), #full, #json)?)
                }
                _ => quote!(__rt::json::Locate::at(__rt::read::key_uint64(k), #full, #json)?),
            };
            let element = quote!(item);
            let r = read_value(ctx, vty, &element, full, json);
            let insert = if matches!(vty, ValueType::Enum(_)) {
                quote!(if let Some(e) = #r { self.#n.insert(key, e); })
            } else {
                quote!(self.#n.insert(key, #r);)
            };
            quote! {
                for (k, item) in &__rt::json::Locate::at(__rt::read::object(value), #full, #json)? {
                    let key = #k;
                    #insert
                }
            }
        }
        Cardinality::Oneof(o) => {
            let oneof = &m.oneofs[*o];
            let on = ident(&oneof.field_name);
            let module = ident(&m.module);
            let en = ident(&oneof.enum_name);
            let vn = ident(&f.rust_name);
            // The oneof's bit in `seen` comes after the fields' bits.
            let (word, bit) = seen_bit(m.fields.len() + *o);
            let set = match &f.ty {
                ValueType::Message(tn) => {
                    let wrap = if f.boxed {
                        quote!(Box::new(m))
                    } else {
                        quote!(m)
                    };
                    let p = ctx.type_path(tn);
                    quote! {
                        let mut m = #p::default();
                        __rt::json::Locate::at(d.message(value, &mut m), #full, #json)?;
                        self.#on = Some(#module::#en::#vn(#wrap));
                    }
                }
                ValueType::Enum(_) => {
                    let r = read_value(ctx, &f.ty, &item, full, json);
                    quote!(if let Some(e) = #r { self.#on = Some(#module::#en::#vn(e)); })
                }
                ValueType::Scalar(_) => {
                    let r = read_value(ctx, &f.ty, &item, full, json);
                    quote!(self.#on = Some(#module::#en::#vn(#r));)
                }
            };
            quote! {
                if seen[#word] & (#bit) != 0 {
                    return Err(__rt::JsonError::new(__rt::JsonErrorKind::DuplicateOneof).at(#full, #json));
                }
                seen[#word] |= #bit;
                #set
            }
        }
    };
    if null_is_value(&f.ty)
        && matches!(
            f.card,
            Cardinality::Implicit | Cardinality::Optional | Cardinality::Oneof(_)
        )
    {
        body
    } else {
        // `null` means "absent" for every other field.
        quote!(if __rt::read::is_null(value) { continue; } #body)
    }
}

/// `merge_json` for a message.
pub(crate) fn merge_json(ctx: Ctx<'_>, m: &Message) -> TokenStream {
    if let Some(special) = special_read(ctx, m) {
        return quote! {
            fn merge_json<'t>(
                &mut self,
                v: __rt::JsonValue<'t, 'a>,
                d: &mut __rt::JsonDecoder<'_>,
            ) -> Result<(), __rt::JsonError> {
                #special
            }
        };
    }
    let full = &m.full_name;
    // JSON names first: a key that is one field's JSON name and another's proto name is the
    // former's (as in protoc's parsers). Two fields never share a JSON name (the model
    // refuses that), so every field keeps at least its JSON name.
    let mut taken = HashSet::new();
    for f in &m.fields {
        taken.insert(f.json_name.as_str());
    }
    let arms: Vec<_> = m
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut names = vec![f.json_name.as_str()];
            if f.proto_name != f.json_name && taken.insert(f.proto_name.as_str()) {
                names.push(f.proto_name.as_str());
            }
            let body = read_field(ctx, m, f);
            // A field given twice (under either name) is an error.
            let (word, bit) = seen_bit(i);
            let json = &f.json_name;
            quote!(#(#names)|* => {
                if seen[#word] & (#bit) != 0 {
                    return Err(__rt::JsonError::new(__rt::JsonErrorKind::DuplicateField).at(#full, #json));
                }
                seen[#word] |= #bit;
                #body
            })
        })
        .collect();
    let words = Literal::usize_unsuffixed((m.fields.len() + m.oneofs.len()).div_ceil(64));
    let seen = (!m.fields.is_empty()).then(|| quote!(let mut seen = [0u64; #words];));
    let value_binding = if m.fields.is_empty() {
        quote!(_)
    } else {
        quote!(value)
    };
    quote! {
        fn merge_json<'t>(
            &mut self,
            v: __rt::JsonValue<'t, 'a>,
            d: &mut __rt::JsonDecoder<'_>,
        ) -> Result<(), __rt::JsonError> {
            let (object, skip_type) = d.object(v, #full)?;
            #seen
            for (key, #value_binding) in &object {
                match key {
                    // Inside an `Any`, its type URL (before a field named `@type`).
                    "@type" if skip_type => {}
                    #(#arms)*
                    _ => {
                        d.unknown_field(#full, key)?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// The word of `seen` and the bit in it that record field (or oneof) number `i` as read.
fn seen_bit(i: usize) -> (Literal, TokenStream) {
    let word = Literal::usize_unsuffixed(i / 64);
    let shift = Literal::usize_unsuffixed(i % 64);
    (word, quote!(1 << #shift))
}

/// Well-known types whose JSON is not an object of their fields. Only generated inside
/// the `google.protobuf` package itself, so their sibling types are in scope.
fn special_write(ctx: Ctx<'_>, m: &Message) -> Option<TokenStream> {
    let _ = ctx;
    Some(match m.full_name.as_str() {
        "google.protobuf.Timestamp" => quote!(__rt::json::wkt::write_timestamp(
            w,
            self.seconds,
            self.nanos
        )),
        "google.protobuf.Duration" => {
            quote!(__rt::json::wkt::write_duration(w, self.seconds, self.nanos))
        }
        "google.protobuf.FieldMask" => {
            quote!(__rt::json::wkt::write_field_mask(
                w,
                self.paths.iter().map(AsRef::as_ref)
            ))
        }
        "google.protobuf.Any" => quote!(__rt::json::wkt::write_any(w, &self.type_url, &self.value)),
        "google.protobuf.Struct" => quote! {
            w.begin_object();
            for (k, v) in &self.fields {
                w.key(k);
                v.write_json(w)?;
            }
            w.end_object();
            Ok(())
        },
        "google.protobuf.ListValue" => quote! {
            w.begin_array();
            for v in &self.values {
                w.elem();
                v.write_json(w)?;
            }
            w.end_array();
            Ok(())
        },
        "google.protobuf.Value" => quote! {
            match &self.kind {
                None => return Err(__rt::JsonError::new(__rt::JsonErrorKind::Unrepresentable)),
                Some(value::Kind::NullValue(_)) => w.null(),
                Some(value::Kind::NumberValue(n)) => {
                    if !n.is_finite() {
                        return Err(__rt::JsonError::new(__rt::JsonErrorKind::Unrepresentable));
                    }
                    w.double(*n);
                }
                Some(value::Kind::StringValue(s)) => w.string(s),
                Some(value::Kind::BoolValue(b)) => w.bool(*b),
                Some(value::Kind::StructValue(s)) => s.write_json(w)?,
                Some(value::Kind::ListValue(l)) => l.write_json(w)?,
            }
            Ok(())
        },
        "google.protobuf.DoubleValue" => quote!(w.double(self.value); Ok(())),
        "google.protobuf.FloatValue" => quote!(w.float(self.value); Ok(())),
        "google.protobuf.Int64Value" => quote!(w.int64(self.value); Ok(())),
        "google.protobuf.UInt64Value" => quote!(w.uint64(self.value); Ok(())),
        "google.protobuf.Int32Value" => quote!(w.int32(self.value); Ok(())),
        "google.protobuf.UInt32Value" => quote!(w.uint32(self.value); Ok(())),
        "google.protobuf.BoolValue" => quote!(w.bool(self.value); Ok(())),
        "google.protobuf.StringValue" => quote!(w.string(&self.value); Ok(())),
        "google.protobuf.BytesValue" => quote!(w.bytes(&self.value); Ok(())),
        _ => return None,
    })
}

fn special_read(ctx: Ctx<'_>, m: &Message) -> Option<TokenStream> {
    let _ = ctx;
    let scalar = |method: TokenStream| {
        quote! {
            let _ = d;
            self.value = __rt::read::#method(v)?;
            Ok(())
        }
    };
    Some(match m.full_name.as_str() {
        "google.protobuf.Timestamp" => quote! {
            let _ = d;
            (self.seconds, self.nanos) = __rt::json::wkt::read_timestamp(v)?;
            Ok(())
        },
        "google.protobuf.Duration" => quote! {
            let _ = d;
            (self.seconds, self.nanos) = __rt::json::wkt::read_duration(v)?;
            Ok(())
        },
        "google.protobuf.FieldMask" => quote! {
            let _ = d;
            self.paths = __rt::json::wkt::read_field_mask(v)?;
            Ok(())
        },
        "google.protobuf.Any" => quote! {
            let (type_url, value) = __rt::json::wkt::read_any(v, d)?;
            self.type_url = type_url;
            self.value = __rt::Cow::Owned(value);
            Ok(())
        },
        "google.protobuf.Struct" => quote! {
            for (k, item) in &__rt::read::object(v)? {
                let mut value = Value::default();
                d.message(item, &mut value)?;
                self.fields.insert(__rt::Cow::Borrowed(k), value);
            }
            Ok(())
        },
        "google.protobuf.ListValue" => quote! {
            for item in &__rt::read::array(v)? {
                let mut value = Value::default();
                d.message(item, &mut value)?;
                self.values.push(value);
            }
            Ok(())
        },
        "google.protobuf.Value" => quote! {
            self.kind = Some(match __rt::json::kind(v) {
                __rt::json::JsonKind::Null => value::Kind::NullValue(NullValue::NULL_VALUE),
                __rt::json::JsonKind::Bool(b) => value::Kind::BoolValue(b),
                __rt::json::JsonKind::Number(n) => value::Kind::NumberValue(n),
                __rt::json::JsonKind::String(s) => value::Kind::StringValue(__rt::Cow::Borrowed(s)),
                __rt::json::JsonKind::Array => {
                    let mut l = ListValue::default();
                    d.message(v, &mut l)?;
                    value::Kind::ListValue(l)
                }
                __rt::json::JsonKind::Object => {
                    let mut s = Struct::default();
                    d.message(v, &mut s)?;
                    value::Kind::StructValue(s)
                }
            });
            Ok(())
        },
        "google.protobuf.DoubleValue" => scalar(quote!(double)),
        "google.protobuf.FloatValue" => scalar(quote!(float)),
        "google.protobuf.Int64Value" => scalar(quote!(int64)),
        "google.protobuf.UInt64Value" => scalar(quote!(uint64)),
        "google.protobuf.Int32Value" => scalar(quote!(int32)),
        "google.protobuf.UInt32Value" => scalar(quote!(uint32)),
        "google.protobuf.BoolValue" => scalar(quote!(bool)),
        "google.protobuf.StringValue" => scalar(quote!(string)),
        "google.protobuf.BytesValue" => scalar(quote!(bytes)),
        _ => return None,
    })
}
