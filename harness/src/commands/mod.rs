//! The commands of the command line and what they share: the clap types ([`cli`]), settings
//! resolved from them ([`settings`]), and one module per command. This is the top layer: it
//! may import every other layer, and nothing imports it.

pub mod cli;
pub mod explain;
pub mod run;
pub mod settings;
pub mod snapshot;

pub use run::main;
