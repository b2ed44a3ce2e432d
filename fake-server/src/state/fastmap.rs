//! Layer: state. The hash map every part of the store uses, and when it gives memory back.

use std::collections::HashMap;

/// The store's maps: foldhash instead of SipHash. Keys are server-generated random tokens or
/// small integers, and foldhash still seeds per map, so hash flooding stays out of reach.
pub type FastMap<K, V> = HashMap<K, V, foldhash::quality::RandomState>;

/// Give memory back once a map holds far less than it has room for. Shrinking rehashes the
/// whole map under the store lock, so it is not done on every sweep of a full map.
pub fn shrink<K: std::hash::Hash + Eq, V>(map: &mut FastMap<K, V>) {
    if map.capacity() > 1024 && map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}
