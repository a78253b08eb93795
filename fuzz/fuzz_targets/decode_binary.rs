//! Binary decoding of `KitchenSink` over arbitrary input: whatever decodes re-encodes to bytes
//! that decode to an equal message, and writing it as JSON fails cleanly or succeeds.
#![no_main]

use connect_fuzz::connectengine::test::v1::{KitchenSink, TYPES};
use connect_wire::{JsonOptions, Message, TypeRegistry};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static REGISTRY: LazyLock<TypeRegistry> = LazyLock::new(|| TypeRegistry::new().with(TYPES));

fuzz_target!(|data: &[u8]| {
    let Ok(m) = KitchenSink::decode(data) else {
        return;
    };
    let bytes = m.encode_to_vec();
    assert_eq!(bytes.len(), m.encoded_len());
    let again = KitchenSink::decode(&bytes).expect("an encoded message decodes");
    // NaN != NaN: compare the Debug forms when `==` says no.
    if again != m {
        assert_eq!(format!("{again:?}"), format!("{m:?}"));
    }
    assert_eq!(again.encode_to_vec(), bytes, "encoding is deterministic");
    let opts = JsonOptions {
        registry: Some(&REGISTRY),
        ..JsonOptions::default()
    };
    let _ = m.encode_json(&mut Vec::new(), &opts);
});
