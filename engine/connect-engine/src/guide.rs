#![doc = include_str!("../guide/guide.md")]
