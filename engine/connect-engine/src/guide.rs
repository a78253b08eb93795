// The guide's examples use the server, both clients and gzip: the default features.
#![cfg(all(feature = "runtime", feature = "blocking", feature = "gzip"))]
#![doc = include_str!("../guide/guide.md")]
