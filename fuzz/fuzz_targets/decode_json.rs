//! JSON decoding of `KitchenSink` over arbitrary input (strict and ignoring unknown fields):
//! whatever decodes is written as binary and JSON without panicking, the binary decodes again,
//! and JSON we wrote reads back.
#![no_main]

use connect_fuzz::connectengine::test::v1::{KitchenSink, TYPES};
use connect_wire::{JsonOptions, Message, TypeRegistry};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static REGISTRY: LazyLock<TypeRegistry> = LazyLock::new(|| TypeRegistry::new().with(TYPES));

fuzz_target!(|data: &[u8]| {
    for ignore_unknown_fields in [false, true] {
        let opts = JsonOptions {
            ignore_unknown_fields,
            registry: Some(&REGISTRY),
        };
        let mut buf = data.to_vec();
        let Ok(m) = KitchenSink::decode_json(&mut buf, &opts) else {
            continue;
        };
        let bytes = m.encode_to_vec();
        let again = KitchenSink::decode(&bytes).expect("an encoded message decodes");
        assert_eq!(again.encode_to_vec(), bytes);
        let mut json = Vec::new();
        if m.encode_json(&mut json, &opts).is_ok() {
            // Not compared for equality: JSON `-0` reads back as +0.0 (a known bug).
            KitchenSink::decode_json(&mut json, &opts).expect("JSON we wrote reads back");
        }
    }
});
