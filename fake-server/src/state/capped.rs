//! Layer: state. `Capped`: a map of server-generated ids with a cap per owner and a cap in total, the
//! oldest entry evicted first, so what unauthenticated requests can make the server hold
//! (pending authorization requests, browser sessions) stays bounded.

use std::collections::{BTreeMap, BTreeSet};

use super::fastmap::FastMap;

/// Entries keyed by id, each belonging to an owner (a client id, a username).
#[derive(Debug)]
pub struct Capped<V> {
    entries: FastMap<String, Entry<V>>,
    /// Insertion number → id: the first is the oldest.
    order: BTreeMap<u64, String>,
    per_owner: FastMap<String, BTreeSet<u64>>,
    next: u64,
    max_total: usize,
    max_per_owner: usize,
}

#[derive(Debug)]
struct Entry<V> {
    seq: u64,
    owner: String,
    value: V,
}

impl<V> Default for Capped<V> {
    fn default() -> Self {
        Capped::new(usize::MAX, usize::MAX)
    }
}

impl<V> Capped<V> {
    /// At most `max_total` entries, and at most `max_per_owner` for any one owner (each at least 1).
    pub fn new(max_total: usize, max_per_owner: usize) -> Self {
        Capped {
            entries: FastMap::default(),
            order: BTreeMap::new(),
            per_owner: FastMap::default(),
            next: 0,
            max_total: max_total.max(1),
            max_per_owner: max_per_owner.max(1),
        }
    }

    /// Insert, first evicting the owner's oldest entry when the owner is at its cap, then the
    /// oldest entry of all when the map is full. Returns how many entries were evicted.
    pub fn insert(&mut self, id: String, owner: &str, value: V) -> usize {
        self.remove(&id);
        let mut evicted = 0;
        let oldest_of_owner = self
            .per_owner
            .get(owner)
            .filter(|seqs| seqs.len() >= self.max_per_owner)
            .and_then(|seqs| seqs.first().copied());
        if let Some(id) = oldest_of_owner.and_then(|seq| self.order.get(&seq).cloned()) {
            self.remove(&id);
            evicted += 1;
        }
        while self.entries.len() >= self.max_total {
            let Some(id) = self.order.first_key_value().map(|(_, id)| id.clone()) else { break };
            self.remove(&id);
            evicted += 1;
        }
        self.next += 1;
        let seq = self.next;
        self.order.insert(seq, id.clone());
        self.per_owner.entry(owner.to_string()).or_default().insert(seq);
        self.entries.insert(id, Entry { seq, owner: owner.to_string(), value });
        evicted
    }

    pub fn get(&self, id: &str) -> Option<&V> {
        self.entries.get(id).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        self.entries.get_mut(id).map(|e| &mut e.value)
    }

    pub fn remove(&mut self, id: &str) -> Option<V> {
        let entry = self.entries.remove(id)?;
        self.order.remove(&entry.seq);
        if let Some(seqs) = self.per_owner.get_mut(&entry.owner) {
            seqs.remove(&entry.seq);
            if seqs.is_empty() {
                self.per_owner.remove(&entry.owner);
            }
        }
        Some(entry.value)
    }

    /// Keep only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        let gone: Vec<String> =
            self.entries.iter().filter(|(_, e)| !keep(&e.value)).map(|(id, _)| id.clone()).collect();
        for id in gone {
            self.remove(&id);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many entries `owner` holds.
    #[cfg(test)]
    pub fn count_of(&self, owner: &str) -> usize {
        self.per_owner.get(owner).map_or(0, BTreeSet::len)
    }

    /// Give memory back once the map holds far less than it has room for.
    pub fn shrink(&mut self) {
        super::fastmap::shrink(&mut self.entries);
        super::fastmap::shrink(&mut self.per_owner);
    }
}

#[cfg(test)]
mod tests {
    use super::Capped;

    #[test]
    fn an_owner_at_its_cap_loses_its_oldest_entry_first() {
        let mut m = Capped::new(10, 2);
        m.insert("a1".into(), "a", 1);
        m.insert("b1".into(), "b", 1);
        m.insert("a2".into(), "a", 2);
        assert_eq!(m.insert("a3".into(), "a", 3), 1);
        assert!(m.get("a1").is_none(), "the oldest of owner a went");
        assert!(m.get("b1").is_some(), "other owners keep theirs");
        assert_eq!(m.count_of("a"), 2);
    }

    #[test]
    fn a_full_map_evicts_the_oldest_entry_of_all() {
        let mut m = Capped::new(3, 3);
        for (i, owner) in ["x", "y", "z", "w"].iter().enumerate() {
            m.insert(format!("id{i}"), owner, i);
        }
        assert_eq!(m.len(), 3);
        assert!(m.get("id0").is_none());
        assert_eq!(m.get("id3"), Some(&3));
        m.retain(|v| *v != 2);
        assert_eq!(m.len(), 2);
        assert_eq!(m.count_of("z"), 0);
        assert_eq!(m.remove("id1"), Some(1));
        assert_eq!(m.len(), 1);
    }
}
