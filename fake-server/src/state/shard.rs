//! Layer: state. A map split into shards, so that growing it never rehashes everything at once: with one
//! map, each doubling moved every token under the store lock (half a second at a million
//! tokens), stalling every request meanwhile.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use super::fastmap::FastMap;

const SHARDS: usize = 32;

/// A hash map made of `SHARDS` maps, each chosen by the key's hash.
#[derive(Debug)]
pub struct Sharded<K, V> {
    hasher: foldhash::quality::RandomState,
    shards: Vec<FastMap<K, V>>,
}

impl<K: Hash + Eq, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Sharded { hasher: Default::default(), shards: (0..SHARDS).map(|_| FastMap::default()).collect() }
    }
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        (self.hasher.hash_one(key) as usize) % SHARDS
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[self.shard(key)].get(key)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.shard(key);
        self.shards[i].get_mut(key)
    }

    #[cfg(test)]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let i = self.shard(&key);
        self.shards[i].insert(key, value)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for s in &mut self.shards {
            s.retain(&mut keep);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|s| s.iter())
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.shards.iter_mut().flat_map(|s| s.values_mut())
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.shards.iter().map(FastMap::len).sum()
    }

    /// Give memory back from shards that are mostly empty.
    pub fn shrink(&mut self) {
        for s in &mut self.shards {
            super::fastmap::shrink(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sharded;

    #[test]
    fn behaves_like_one_map() {
        let mut m: Sharded<String, u32> = Sharded::default();
        for i in 0..1000 {
            m.insert(format!("k{i}"), i);
        }
        assert_eq!(m.len(), 1000);
        assert_eq!(m.get("k7"), Some(&7));
        *m.get_mut("k7").unwrap() = 70;
        assert_eq!(m.get("k7"), Some(&70));
        m.retain(|_, v| *v % 2 == 0);
        // The even values, and k7, whose value is now 70.
        assert_eq!(m.len(), 501);
        assert!(!m.contains_key("k1") && m.contains_key("k2") && m.contains_key("k7"));
        assert_eq!(m.values_mut().count(), 501);
    }
}
