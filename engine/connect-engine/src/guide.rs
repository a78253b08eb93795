// The guide's examples use the server, both clients and gzip: the default features.
#![cfg(all(feature = "runtime", feature = "blocking", feature = "gzip"))]
// Some examples show a whole program, `fn main` included.
#![allow(clippy::needless_doctest_main)]
#![doc = include_str!("../guide/guide.md")]
