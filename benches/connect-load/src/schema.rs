//! The target method and its requests: the schema from `.proto` files (compiled in-process
//! with protox, no protoc) or a descriptor set, and the request messages from JSON,
//! converted once to the codec's bytes (prost-reflect dynamic messages).

use std::path::PathBuf;

use connect_engine::Codec;
use connect_engine::wire::service::{Idempotency, MethodDescriptor, StreamKind};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor as ReflectMethod};

/// Where the schema comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `.proto` files and the directories their imports are found in.
    Protos {
        /// The files.
        files: Vec<PathBuf>,
        /// Import paths (the files' own directories are added).
        includes: Vec<PathBuf>,
    },
    /// A serialized `FileDescriptorSet` (`protoc -o`, `buf build -o`).
    DescriptorSet(PathBuf),
}

/// The method to call and its pre-encoded requests.
#[derive(Debug)]
pub struct Target {
    /// The method, as the client takes it.
    pub method: &'static MethodDescriptor,
    /// The requests, encoded with the codec (one for unary and server streams).
    pub requests: Vec<Vec<u8>>,
}

fn load_pool(source: &Source) -> Result<DescriptorPool, String> {
    match source {
        Source::Protos { files, includes } => {
            let mut dirs: Vec<PathBuf> = includes.clone();
            for f in files {
                if let Some(parent) = f.parent() {
                    let parent = if parent.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        parent.to_path_buf()
                    };
                    if !dirs.contains(&parent) {
                        dirs.push(parent);
                    }
                }
            }
            let mut compiler = protox::Compiler::new(&dirs).map_err(|e| format!("{e}"))?;
            compiler.include_imports(true);
            for f in files {
                // protox wants the path relative to an include directory.
                let rel = dirs
                    .iter()
                    .find_map(|d| f.strip_prefix(d).ok())
                    .unwrap_or(f.as_path());
                compiler
                    .open_file(rel)
                    .map_err(|e| format!("{}: {e}", f.display()))?;
            }
            Ok(compiler.descriptor_pool())
        }
        Source::DescriptorSet(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let set = prost_types::FileDescriptorSet::decode(bytes.as_slice())
                .map_err(|e| format!("{}: not a FileDescriptorSet: {e}", path.display()))?;
            DescriptorPool::from_file_descriptor_set(set)
                .map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

/// Finds `procedure` (`pkg.Service/Method`, with or without the leading `/`).
fn find_method(pool: &DescriptorPool, procedure: &str) -> Result<ReflectMethod, String> {
    let procedure = procedure.trim_start_matches('/');
    let (service, method) = procedure
        .rsplit_once('/')
        .ok_or_else(|| format!("--method {procedure:?}: expected pkg.Service/Method"))?;
    let known = || {
        let mut all: Vec<String> = pool
            .services()
            .flat_map(|s| {
                let name = s.full_name().to_owned();
                s.methods()
                    .map(move |m| format!("{name}/{}", m.name()))
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort();
        if all.is_empty() {
            "the schema has no services".to_owned()
        } else {
            format!("known methods: {}", all.join(", "))
        }
    };
    let svc = pool
        .get_service_by_name(service)
        .ok_or_else(|| format!("no service {service:?} in the schema; {}", known()))?;
    svc.methods()
        .find(|m| m.name() == method)
        .ok_or_else(|| format!("service {service} has no method {method:?}; {}", known()))
}

/// Splits `--data` text into the JSON messages it holds: one object, an array of objects,
/// or several objects one after the other.
fn split_messages(data: &str) -> Result<Vec<serde_json::Value>, String> {
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_str(data).into_iter::<serde_json::Value>() {
        match v.map_err(|e| format!("request JSON: {e}"))? {
            serde_json::Value::Array(items) => out.extend(items),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Loads the schema, finds the method and encodes the requests for `codec`.
pub fn load(source: &Source, procedure: &str, data: &str, codec: Codec) -> Result<Target, String> {
    let pool = load_pool(source)?;
    let method = find_method(&pool, procedure)?;
    let input = method.input();
    let mut messages = split_messages(data)?;
    if messages.is_empty() {
        messages.push(serde_json::Value::Object(serde_json::Map::new()));
    }
    let kind = match (method.is_client_streaming(), method.is_server_streaming()) {
        (false, false) => StreamKind::Unary,
        (true, false) => StreamKind::ClientStream,
        (false, true) => StreamKind::ServerStream,
        (true, true) => StreamKind::BidiStream,
    };
    if !method.is_client_streaming() && messages.len() != 1 {
        return Err(format!(
            "{} takes one request message, --data has {}",
            method.full_name(),
            messages.len()
        ));
    }
    let mut requests = Vec::with_capacity(messages.len());
    for (i, json) in messages.iter().enumerate() {
        let msg = DynamicMessage::deserialize(input.clone(), json).map_err(|e| {
            format!(
                "request {} does not match {}: {e}",
                i + 1,
                input.full_name()
            )
        })?;
        requests.push(match codec {
            Codec::Proto => msg.encode_to_vec(),
            Codec::Json => {
                serde_json::to_vec(&msg).map_err(|e| format!("request {}: {e}", i + 1))?
            }
        });
    }
    let level = method
        .method_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.idempotency_level);
    let idempotency = match level {
        Some(1) => Idempotency::NoSideEffects,
        Some(2) => Idempotency::Idempotent,
        _ => Idempotency::Unknown,
    };
    let service = method.parent_service();
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let descriptor = MethodDescriptor {
        name: leak(method.name().to_owned()),
        path: leak(format!("/{}/{}", service.full_name(), method.name())),
        input_type: leak(input.full_name().to_owned()),
        output_type: leak(method.output().full_name().to_owned()),
        kind,
        idempotency,
    };
    Ok(Target {
        method: Box::leak(Box::new(descriptor)),
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eliza() -> Source {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
        Source::Protos {
            files: vec![root.join("connectrpc/eliza/v1/eliza.proto")],
            includes: vec![root],
        }
    }

    #[test]
    fn methods_and_requests() {
        let t = load(
            &eliza(),
            "connectrpc.eliza.v1.ElizaService/Say",
            r#"{"sentence":"hi"}"#,
            Codec::Proto,
        )
        .unwrap();
        assert_eq!(t.method.path, "/connectrpc.eliza.v1.ElizaService/Say");
        assert_eq!(t.method.idempotency, Idempotency::NoSideEffects);
        assert_eq!(t.requests, [b"\x0a\x02hi".to_vec()]);
        let t = load(
            &eliza(),
            "/connectrpc.eliza.v1.ElizaService/Converse",
            r#"[{"sentence":"a"},{"sentence":"b"}] {"sentence":"c"}"#,
            Codec::Json,
        )
        .unwrap();
        assert_eq!(t.method.kind, StreamKind::BidiStream);
        assert_eq!(t.requests.len(), 3);
        assert_eq!(t.requests[2], br#"{"sentence":"c"}"#);
    }

    #[test]
    fn clear_errors() {
        let e = load(
            &eliza(),
            "connectrpc.eliza.v1.ElizaService/Nope",
            "{}",
            Codec::Proto,
        )
        .unwrap_err();
        assert!(
            e.contains("no method \"Nope\"") && e.contains("connectrpc.eliza.v1.ElizaService/Say"),
            "{e}"
        );
        let e = load(&eliza(), "x.Y/Z", "{}", Codec::Proto).unwrap_err();
        assert!(e.contains("no service \"x.Y\""), "{e}");
        let e = load(&eliza(), "Say", "{}", Codec::Proto).unwrap_err();
        assert!(e.contains("expected pkg.Service/Method"), "{e}");
        let e = load(
            &eliza(),
            "connectrpc.eliza.v1.ElizaService/Say",
            r#"{"sentense":"x"}"#,
            Codec::Proto,
        )
        .unwrap_err();
        assert!(
            e.contains("does not match connectrpc.eliza.v1.SayRequest"),
            "{e}"
        );
        let e = load(
            &eliza(),
            "connectrpc.eliza.v1.ElizaService/Say",
            r#"{"sentence":"x"}{}"#,
            Codec::Proto,
        )
        .unwrap_err();
        assert!(e.contains("takes one request message"), "{e}");
        let e = load(
            &eliza(),
            "connectrpc.eliza.v1.ElizaService/Say",
            "{oops",
            Codec::Proto,
        )
        .unwrap_err();
        assert!(e.contains("request JSON"), "{e}");
        let missing = Source::DescriptorSet(PathBuf::from("/nonexistent.binpb"));
        assert!(load(&missing, "a.B/C", "{}", Codec::Proto).is_err());
    }
}
