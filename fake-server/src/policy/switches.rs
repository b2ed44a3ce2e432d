//! Layer: policy. The configured faults and variants, asked only while resolving policies.

use crate::faults::{Fault, Faults};
use crate::variants::{Variant, Variants};

/// The configured faults and variants.
pub struct Switches<'a> {
    faults: &'a Faults,
    variants: Variants,
}

impl<'a> Switches<'a> {
    pub fn new(faults: &'a Faults, variants: Variants) -> Switches<'a> {
        Switches { faults, variants }
    }

    pub fn fault(&self, f: Fault) -> bool {
        self.faults.has(f)
    }

    pub fn variant(&self, v: Variant) -> bool {
        self.variants.has(v)
    }
}
