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

/// Scheduling state of one run. Every operation costs in proportion to
/// the suites it touches, not to the whole run: 5,000 suites schedule in
/// linear time.
#[derive(Debug)]
pub struct Plan {
    items: Vec<Item>,
    jobs: u32,
    pending: BTreeSet<usize>,
    /// Pending suites whose needs have all finished, best first: longest
    /// expected duration, then planned order.
    ready: BTreeSet<(std::cmp::Reverse<u64>, usize)>,
    /// For each suite, how many of its needs have not finished.
    waiting_on: Vec<usize>,
    /// For each suite, the suites that need it.
    needed_by: Vec<Vec<usize>>,
    running: BTreeSet<usize>,
    exclusive_running: usize,
    used: u32,
}

impl Plan {
    /// A plan for `items` (in their planned order) on `jobs` slots.
    pub fn new(items: Vec<Item>, jobs: u32) -> Self {
        let mut needed_by = vec![Vec::new(); items.len()];
        let mut waiting_on = vec![0; items.len()];
        for (i, item) in items.iter().enumerate() {
            let needs: BTreeSet<usize> = item.needs.iter().copied().filter(|&n| n != i).collect();
            waiting_on[i] = needs.len();
            for n in needs {
                needed_by[n].push(i);
            }
        }
        let ready = (0..items.len())
            .filter(|&i| waiting_on[i] == 0)
            .map(|i| (std::cmp::Reverse(items[i].expected_ms), i))
            .collect();
        Plan {
            pending: (0..items.len()).collect(),
            ready,
            waiting_on,
            needed_by,
            items,
            jobs: jobs.max(1),
            running: BTreeSet::new(),
            exclusive_running: 0,
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

    /// Starts as many ready suites as fit; returns their indexes.
    pub fn start_ready(&mut self) -> Vec<usize> {
        let mut started = Vec::new();
        for &(key, i) in &self.ready {
            if self.exclusive_running > 0 || self.used >= self.jobs {
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
            if self.items[i].exclusive {
                self.exclusive_running += 1;
            }
            self.running.insert(i);
            started.push((key, i));
        }
        for entry in &started {
            self.ready.remove(entry);
            self.pending.remove(&entry.1);
        }
        started.into_iter().map(|(_, i)| i).collect()
    }

    /// Records that suite `i` finished.
    pub fn finish(&mut self, i: usize) {
        if self.running.remove(&i) {
            self.used -= self.cost(i);
            if self.items[i].exclusive {
                self.exclusive_running -= 1;
            }
        }
        if self.pending.remove(&i) {
            self.ready
                .remove(&(std::cmp::Reverse(self.items[i].expected_ms), i));
        }
        for d in std::mem::take(&mut self.needed_by[i]) {
            self.waiting_on[d] -= 1;
            if self.waiting_on[d] == 0 && self.pending.contains(&d) {
                self.ready
                    .insert((std::cmp::Reverse(self.items[d].expected_ms), d));
            }
        }
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
