//! # connect-load
//!
//! A Connect-native load generator, as a library (the `connect-load` binary is its command
//! line). [`schema`] loads the method and encodes the requests once; [`load`] runs them on
//! one monoio runtime per thread, closed or open loop, over the async client of
//! `connect-engine`; [`report`] summarizes what was measured.

pub mod load;
pub mod report;
pub mod schema;
