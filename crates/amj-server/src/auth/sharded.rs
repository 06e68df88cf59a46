//! A plain concurrent map for the hot read path: a fixed number of `RwLock<HashMap>` shards,
//! chosen by the key's hash. Every Forge call reads the installation → tenant map; at 100k
//! installations an LRU cache's read bookkeeping (moka) was most of the look-up, while a hit
//! here is a hash and one shard's read lock (docs/PERFORMANCE.md). No eviction order: callers
//! bound the size themselves.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};

/// Enough shards that two cores' readers and the occasional writer rarely meet.
const SHARDS: usize = 32;

pub struct ShardedMap<V> {
    shards: Vec<RwLock<HashMap<String, V>>>,
    hasher: RandomState,
}

impl<V: Clone> Default for ShardedMap<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<V: Clone> ShardedMap<V> {
    fn shard(&self, key: &str) -> &RwLock<HashMap<String, V>> {
        // The modulo keeps the index in range whatever the hash.
        let at = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        &self.shards[at]
    }

    /// A copy of the entry. A lock poisoned by a panicking writer still holds a whole map (each
    /// write is one `HashMap` call), so it is read on rather than failing every caller.
    pub fn get(&self, key: &str) -> Option<V> {
        self.shard(key)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    pub fn insert(&self, key: String, value: V) {
        self.shard(&key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, value);
    }

    pub fn remove(&self, key: &str) {
        self.shard(key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&self, mut keep: impl FnMut(&V) -> bool) {
        for shard in &self.shards {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|_, v| keep(v));
        }
    }

    pub fn clear(&self) {
        self.retain(|_| false);
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_replaced_kept_and_dropped() {
        let map = ShardedMap::default();
        for i in 0..1000 {
            map.insert(format!("k{i}"), i);
        }
        assert_eq!(map.len(), 1000);
        assert_eq!(map.get("k7"), Some(7));
        assert_eq!(map.get("missing"), None);
        map.insert("k7".into(), 70);
        assert_eq!(map.get("k7"), Some(70));
        map.remove("k7");
        assert_eq!(map.get("k7"), None);
        map.retain(|v| v % 2 == 0);
        assert_eq!(map.len(), 500);
        assert_eq!(map.get("k8"), Some(8));
        assert_eq!(map.get("k9"), None);
        map.clear();
        assert_eq!(map.len(), 0);
    }
}
