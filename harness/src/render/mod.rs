//! Rendering results: report formats, stable output, snapshots of exchanges and their drift,
//! and comparisons of two reports. It imports the result model ([`crate::model`]).

pub mod compare;
pub mod report;
pub mod snapshot;
pub mod stable;
