//! The simulation's storage: a slab for open cases and beschikkingen (indices stay
//! valid while the item lives, freed slots are reused) and a min-heap entry that
//! orders by time, then by insertion sequence, so ties pop in a fixed order.

use std::cmp::Ordering;

/// Items addressed by a `u32` index that stays valid while the item lives.
pub(crate) struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    pub(crate) fn new() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
    pub(crate) fn insert(&mut self, v: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(v);
            i
        } else {
            self.items.push(Some(v));
            (self.items.len() - 1) as u32
        }
    }
    /// Number of slots, free ones included: every index below it may be looked up.
    pub(crate) fn slots(&self) -> usize {
        self.items.len()
    }
    pub(crate) fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize).and_then(Option::as_ref)
    }
    pub(crate) fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i as usize).and_then(Option::as_mut)
    }
    pub(crate) fn remove(&mut self, i: u32) {
        if let Some(slot) = self.items.get_mut(i as usize) {
            if slot.take().is_some() {
                self.free.push(i);
            }
        }
    }
}

/// An item due at `at`; in a `BinaryHeap` the earliest (then the first inserted)
/// pops first.
pub(crate) struct Timed<T> {
    pub(crate) at: i64,
    pub(crate) seq: u64,
    pub(crate) item: T,
}

impl<T> PartialEq for Timed<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<T> Eq for Timed<T> {}
impl<T> PartialOrd for Timed<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Timed<T> {
    // Reversed: BinaryHeap is a max-heap, we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}
