//! The benchmark messages, built once with our types, and the cross-checks that make the
//! comparison meaningful: the peer must decode our bytes to the same content (and we theirs),
//! in binary and in JSON.

use std::borrow::Cow;

use connect_engine::{JsonOptions, Message as _};

use crate::connect::connectengine::bench::v1 as ours;
use crate::peer;

/// A typical small RPC request: a 16-character string, an int32, a bool and an enum.
#[must_use]
pub fn small() -> ours::SmallRequest<'static> {
    ours::SmallRequest {
        user_name: Cow::Borrowed("alice.johnson-42"),
        page_size: 50,
        include_deleted: true,
        priority: ours::Priority::PRIORITY_NORMAL,
        ..Default::default()
    }
}

/// An order of about 1 KiB: a nested message, a list of tags, a packed list of int64
/// latencies of mixed sizes, a map of labels, 200 bytes of attachment and a few scalars.
#[must_use]
pub fn order() -> ours::Order<'static> {
    const TAGS: [&str; 14] = [
        "electronics",
        "gift-wrap",
        "priority-customer",
        "eu-warehouse",
        "fragile",
        "promo-2025-black-friday",
        "loyalty-gold",
        "split-shipment",
        "insured",
        "signature-required",
        "carbon-neutral",
        "returns-eligible",
        "b2b-invoice",
        "weekend-delivery",
    ];
    const LABELS: [(&str, &str); 8] = [
        ("client-version", "4.12.3"),
        ("datacenter", "fra-2b"),
        ("env", "production"),
        ("region", "eu-west-1"),
        ("shard", "17"),
        ("tenant", "acme-corporation"),
        ("trace-sampled", "true"),
        ("user-agent", "acme-mobile/4.12.3 (Android 15)"),
    ];
    // Latencies in microseconds: mostly 2–3 byte varints, some 1-byte and some 4–5 byte ones.
    let samples = (0..64_i64)
        .map(|i| match i % 8 {
            0 => 90 + i,
            1..=4 => 1_000 + i * 977,
            5 | 6 => 20_000 + i * 12_345,
            _ => 3_000_000 + i * 1_000_003,
        })
        .collect();
    let attachment = (0..200_u32)
        .map(|i| (i * 37 + 11) as u8)
        .collect::<Vec<u8>>();
    ours::Order {
        order_id: Cow::Borrowed("ord_7f3c9a2e-41b8-4d6a-9c15-2b8e6f0a3d47"),
        created_at_ms: 1_763_942_400_123,
        revision: 17,
        total_amount: 1234.56,
        express: true,
        priority: ours::Priority::PRIORITY_HIGH,
        note: Cow::Borrowed(
            "Leave the parcel with the concierge if nobody answers; call ahead, the doorbell \
             on the left does not work.",
        ),
        shipping_address: Some(ours::Address {
            street: Cow::Borrowed("221B Baker Street, Flat 3"),
            city: Cow::Borrowed("London"),
            country_code: Cow::Borrowed("GB"),
            postal_code: 94_107,
            ..Default::default()
        }),
        tags: TAGS.iter().map(|t| Cow::Borrowed(*t)).collect(),
        sample_latencies_us: samples,
        labels: LABELS
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect(),
        attachment: Cow::Owned(attachment),
        ..Default::default()
    }
}

/// Our `SmallRequest` with the content of a peer value (borrowing its strings).
#[must_use]
pub fn small_from_peer(p: &peer::SmallRequest) -> ours::SmallRequest<'_> {
    ours::SmallRequest {
        user_name: Cow::Borrowed(&p.user_name),
        page_size: p.page_size,
        include_deleted: p.include_deleted,
        priority: ours::Priority(p.priority),
        ..Default::default()
    }
}

/// Our `Order` with the content of a peer value (borrowing its strings and bytes).
#[must_use]
pub fn order_from_peer(p: &peer::Order) -> ours::Order<'_> {
    ours::Order {
        order_id: Cow::Borrowed(&p.order_id),
        created_at_ms: p.created_at_ms,
        revision: p.revision,
        total_amount: p.total_amount,
        express: p.express,
        priority: ours::Priority(p.priority),
        note: Cow::Borrowed(&p.note),
        shipping_address: p.shipping_address.as_ref().map(|a| ours::Address {
            street: Cow::Borrowed(&a.street),
            city: Cow::Borrowed(&a.city),
            country_code: Cow::Borrowed(&a.country_code),
            postal_code: a.postal_code,
            ..Default::default()
        }),
        tags: p.tags.iter().map(|t| Cow::Borrowed(t.as_str())).collect(),
        sample_latencies_us: p.sample_latencies_us.clone(),
        labels: p
            .labels
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Cow::Borrowed(v.as_str())))
            .collect(),
        attachment: Cow::Borrowed(&p.attachment),
        ..Default::default()
    }
}

/// One benchmark input in both encodings, as produced by our encoders.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// Binary encoding.
    pub binary: Vec<u8>,
    /// Canonical proto3 JSON.
    pub json: Vec<u8>,
}

/// Differences between the two implementations that do not make the comparison unfair
/// (the content is equal) but are worth reporting.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// Messages whose binary encodings differ byte for byte (same content).
    pub binary_differs: Vec<&'static str>,
    /// Messages whose JSON encodings differ byte for byte (same content).
    pub json_differs: Vec<&'static str>,
}

/// Encodes `small()` with our code and checks the peer against it; panics on any mismatch.
#[must_use]
pub fn small_encoded(notes: &mut Notes) -> Encoded {
    let msg = small();
    check::<peer::SmallRequest, ours::SmallRequest<'static>>(
        "SmallRequest",
        &msg,
        small_from_peer,
        notes,
    )
}

/// Encodes `order()` with our code and checks the peer against it; panics on any mismatch.
#[must_use]
pub fn order_encoded(notes: &mut Notes) -> Encoded {
    let msg = order();
    check::<peer::Order, ours::Order<'static>>("Order", &msg, order_from_peer, notes)
}

/// The setup step: encodes `ours` both ways, decodes with both implementations, and asserts
/// that all four decoded values have the same content as `ours`.
fn check<P, O>(
    name: &'static str,
    ours: &O,
    from_peer: for<'p> fn(&'p P) -> O::Borrowed<'p>,
    notes: &mut Notes,
) -> Encoded
where
    P: prost::Message + Default + serde::Serialize + serde::de::DeserializeOwned,
    O: Same,
{
    let opts = JsonOptions::default();

    // Binary: ours -> peer, and peer -> ours.
    let binary = ours.encode_bin();
    let p = P::decode(binary.as_slice())
        .unwrap_or_else(|e| panic!("{name}: prost cannot decode our binary: {e}"));
    assert!(
        O::eq_borrowed(ours, &from_peer(&p)),
        "{name}: prost decoded our binary to different content"
    );
    let peer_binary = p.encode_to_vec();
    assert!(
        O::decodes_to(ours, &peer_binary),
        "{name}: we decode prost's binary to different content"
    );
    if peer_binary != binary {
        notes.binary_differs.push(name);
    }
    assert!(
        O::decodes_to(ours, &binary),
        "{name}: our binary does not round-trip"
    );

    // JSON: ours -> peer, and peer -> ours.
    let json = ours.encode_json_vec(&opts);
    let p: P = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "{name}: pbjson cannot decode our JSON: {e}\n{}",
            String::from_utf8_lossy(&json)
        )
    });
    assert!(
        O::eq_borrowed(ours, &from_peer(&p)),
        "{name}: pbjson decoded our JSON to different content"
    );
    let peer_json = serde_json::to_vec(&p).expect("pbjson encode");
    assert!(
        O::json_decodes_to(ours, &peer_json, &opts),
        "{name}: we decode pbjson's JSON to different content:\n{}",
        String::from_utf8_lossy(&peer_json)
    );
    if peer_json != json {
        notes.json_differs.push(name);
    }
    assert!(
        O::json_decodes_to(ours, &json, &opts),
        "{name}: our JSON does not round-trip"
    );
    Encoded { binary, json }
}

/// Glue that lets [`check`] talk about "the same message type with another lifetime".
trait Same: Sized {
    type Borrowed<'p>;
    fn eq_borrowed(&self, other: &Self::Borrowed<'_>) -> bool;
    fn decodes_to(&self, binary: &[u8]) -> bool;
    fn json_decodes_to(&self, json: &[u8], opts: &JsonOptions) -> bool;
    fn encode_bin(&self) -> Vec<u8>;
    fn encode_json_vec(&self, opts: &JsonOptions) -> Vec<u8>;
}

macro_rules! same {
    ($t:ident) => {
        impl Same for ours::$t<'static> {
            type Borrowed<'p> = ours::$t<'p>;
            fn eq_borrowed(&self, other: &ours::$t<'_>) -> bool {
                // `PartialEq` is only between equal lifetimes; `'static` coerces down.
                let this: &ours::$t<'_> = self;
                this == other
            }
            fn decodes_to(&self, binary: &[u8]) -> bool {
                ours::$t::decode(binary).is_ok_and(|m| self.eq_borrowed(&m))
            }
            fn json_decodes_to(&self, json: &[u8], opts: &JsonOptions) -> bool {
                let mut buf = json.to_vec();
                ours::$t::decode_json(&mut buf, opts).is_ok_and(|m| self.eq_borrowed(&m))
            }
            fn encode_bin(&self) -> Vec<u8> {
                self.encode_to_vec()
            }
            fn encode_json_vec(&self, opts: &JsonOptions) -> Vec<u8> {
                let mut out = Vec::new();
                self.encode_json(&mut out, opts)
                    .expect("our JSON encoder failed");
                out
            }
        }
    };
}
same!(SmallRequest);
same!(Order);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_agree_on_content() {
        let mut notes = Notes::default();
        let small = small_encoded(&mut notes);
        let order = order_encoded(&mut notes);
        assert!(
            small.binary.len() < 40,
            "small is {} bytes",
            small.binary.len()
        );
        assert!(
            (900..1200).contains(&order.binary.len()),
            "order is {} bytes",
            order.binary.len()
        );
        assert!(
            notes.binary_differs.is_empty(),
            "binary encodings differ: {notes:?}"
        );
        assert!(
            notes.json_differs.is_empty(),
            "JSON encodings differ: {notes:?}"
        );
    }
}
