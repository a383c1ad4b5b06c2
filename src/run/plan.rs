//! Which suite starts next (docs/running.md): a suite is ready once every suite
//! it needs has finished; among ready suites the longest expected duration
//! goes first (history), ties in the planned order; up to `jobs` slots are
//! in use, a suite taking `weight` of them (at most all), an `exclusive`
//! suite running alone. Pure bookkeeping: starting processes is the
//! engine's job.

use std::collections::BTreeSet;

/// What the scheduler needs to know about one suite.
#[derive(Debug, Clone)]
pub struct Item {
    /// Indexes (into the item list) of the suites it needs.
    pub needs: Vec<usize>,
    /// Slots it occupies.
    pub weight: u32,
    /// Runs alone.
    pub exclusive: bool,
    /// Expected duration from history, in ms (0 when unknown).
    pub expected_ms: u64,
}

/// Scheduling state of one run.
#[derive(Debug)]
pub struct Plan {
    items: Vec<Item>,
    jobs: u32,
    pending: BTreeSet<usize>,
    running: BTreeSet<usize>,
    finished: BTreeSet<usize>,
    used: u32,
}

impl Plan {
    /// A plan for `items` (in their planned order) on `jobs` slots.
    pub fn new(items: Vec<Item>, jobs: u32) -> Self {
        let pending = (0..items.len()).collect();
        Plan {
            items,
            jobs: jobs.max(1),
            pending,
            running: BTreeSet::new(),
            finished: BTreeSet::new(),
            used: 0,
        }
    }

    fn cost(&self, i: usize) -> u32 {
        let item = &self.items[i];
        if item.exclusive {
            self.jobs
        } else {
            item.weight.clamp(1, self.jobs)
        }
    }

    fn exclusive_running(&self) -> bool {
        self.running.iter().any(|&i| self.items[i].exclusive)
    }

    /// Starts as many ready suites as fit; returns their indexes.
    pub fn start_ready(&mut self) -> Vec<usize> {
        let mut ready: Vec<usize> = self
            .pending
            .iter()
            .copied()
            .filter(|&i| {
                self.items[i]
                    .needs
                    .iter()
                    .all(|n| self.finished.contains(n))
            })
            .collect();
        // Longest expected first; the planned order breaks ties.
        ready.sort_by(|&a, &b| {
            self.items[b]
                .expected_ms
                .cmp(&self.items[a].expected_ms)
                .then(a.cmp(&b))
        });
        let mut started = Vec::new();
        for i in ready {
            if self.exclusive_running() {
                break;
            }
            if self.items[i].exclusive && !self.running.is_empty() {
                // Wait for the running suites to drain; start nothing
                // smaller in front of it, or it could starve.
                break;
            }
            let cost = self.cost(i);
            if self.used + cost > self.jobs {
                continue;
            }
            self.used += cost;
            self.pending.remove(&i);
            self.running.insert(i);
            started.push(i);
        }
        started
    }

    /// Records that suite `i` finished.
    pub fn finish(&mut self, i: usize) {
        if self.running.remove(&i) {
            self.used -= self.cost(i);
        }
        self.pending.remove(&i);
        self.finished.insert(i);
    }

    /// How many suites run now.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// `true` while some suite has not started.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Suites not started yet, in planned order.
    pub fn pending(&self) -> Vec<usize> {
        self.pending.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(needs: &[usize], weight: u32, exclusive: bool, expected_ms: u64) -> Item {
        Item {
            needs: needs.to_vec(),
            weight,
            exclusive,
            expected_ms,
        }
    }

    #[test]
    fn longest_expected_first_within_the_slots() {
        let mut p = Plan::new(
            vec![
                item(&[], 1, false, 10),
                item(&[], 1, false, 300),
                item(&[], 1, false, 20),
            ],
            2,
        );
        assert_eq!(p.start_ready(), [1, 2]);
        assert_eq!(p.start_ready(), Vec::<usize>::new());
        p.finish(2);
        assert_eq!(p.start_ready(), [0]);
    }

    #[test]
    fn needs_wait_and_weights_take_slots() {
        let mut p = Plan::new(
            vec![
                item(&[], 2, false, 0),
                item(&[0], 1, false, 0),
                item(&[], 1, false, 0),
                item(&[], 5, false, 0),
            ],
            3,
        );
        // 0 takes 2 slots, 2 takes the third; 3 (weight 5, clamped to 3) waits.
        assert_eq!(p.start_ready(), [0, 2]);
        p.finish(2);
        assert_eq!(
            p.start_ready(),
            Vec::<usize>::new(),
            "3 needs all slots, 1 needs 0"
        );
        p.finish(0);
        assert_eq!(
            p.start_ready(),
            [1],
            "1 first: planned order breaks the tie, then 3 no longer fits"
        );
        p.finish(1);
        assert_eq!(p.start_ready(), [3]);
    }

    #[test]
    fn exclusive_runs_alone() {
        let mut p = Plan::new(
            vec![
                item(&[], 1, false, 0),
                item(&[], 1, true, 0),
                item(&[], 1, false, 0),
            ],
            4,
        );
        assert_eq!(p.start_ready(), [0]);
        p.finish(0);
        assert_eq!(p.start_ready(), [1]);
        assert_eq!(p.start_ready(), Vec::<usize>::new());
        p.finish(1);
        assert_eq!(p.start_ready(), [2]);
    }
}
