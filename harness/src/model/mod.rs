//! The result model: what a run produced (outcomes, results, the recorded exchanges), how
//! secrets are masked in it, and known outcomes (baselines). This layer imports nothing else
//! from the crate; every other layer may import it.

pub mod baseline;
pub mod exchange;
pub mod level;
pub mod mask;
pub mod outcome;
pub mod score;
pub mod secret;
