//! `--shard K/N`: a deterministic partition of a selection into N shards
//! that keeps every `needs` chain inside one shard. With history, shards
//! are balanced by expected duration (longest processing time first);
//! without, by suite count, in id order — so the same selection always
//! splits the same way.

use std::collections::HashMap;

/// `K/N`: the K-th (1-based) of N shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

/// Why `--shard` is not `K/N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// No `/`.
    #[error("`{text}` is not K/N (e.g. 2/4)")]
    NotKOfN {
        /// As given.
        text: String,
    },
    /// K or N is not a number.
    #[error("`{text}` is not a number")]
    NotANumber {
        /// The part that is not.
        text: String,
    },
    /// K is 0 or above N.
    #[error("`{text}`: K must be from 1 to N, and N at least 1")]
    OutOfRange {
        /// As given.
        text: String,
    },
}

impl std::str::FromStr for Shard {
    type Err = ShardError;
    fn from_str(text: &str) -> Result<Self, ShardError> {
        let (k, n) = text.split_once('/').ok_or_else(|| ShardError::NotKOfN {
            text: text.to_string(),
        })?;
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| ShardError::NotANumber {
                    text: part.to_string(),
                })
        };
        let (k, n) = (number(k)?, number(n)?);
        if n == 0 || k == 0 || k > n {
            return Err(ShardError::OutOfRange {
                text: text.to_string(),
            });
        }
        Ok(Shard { index: k, count: n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut root = i;
    while parent[root] != root {
        root = parent[root];
    }
    let mut j = i;
    while parent[j] != root {
        let next = parent[j];
        parent[j] = root;
        j = next;
    }
    root
}

/// Splits suites (`ids[i]` needing `needs[i]`, indexes into `ids`) into
/// `count` shards; returns each shard's indexes, in `ids` order.
pub fn partition(
    ids: &[&str],
    needs: &[Vec<usize>],
    count: u32,
    expected: &HashMap<String, u64>,
) -> Vec<Vec<usize>> {
    let n = ids.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for (i, list) in needs.iter().enumerate() {
        for &j in list {
            let (a, b) = (find(&mut parent, i), find(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        groups.entry(find(&mut parent, i)).or_default().push(i);
    }
    let with_history = ids.iter().any(|id| expected.contains_key(*id));
    // (weight, smallest id, members)
    let mut components: Vec<(u64, &str, Vec<usize>)> = groups
        .into_values()
        .map(|members| {
            let weight = if with_history {
                members
                    .iter()
                    .map(|&i| expected.get(ids[i]).copied().unwrap_or(1).max(1))
                    .sum()
            } else {
                members.len() as u64
            };
            let first = members.iter().map(|&i| ids[i]).min().unwrap_or("");
            (weight, first, members)
        })
        .collect();
    if with_history {
        components.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    } else {
        components.sort_by(|a, b| a.1.cmp(b.1));
    }
    let count = count.max(1) as usize;
    let mut load = vec![0u64; count];
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (weight, _, members) in components {
        let target = (0..count).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[target] += weight;
        shards[target].extend(members);
    }
    for shard in &mut shards {
        shard.sort_unstable();
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn shards_are_disjoint_cover_everything_and_keep_needs_together() {
        let ids = ["a", "b", "c", "d", "e", "f", "g"];
        let needs = vec![vec![], vec![0], vec![1], vec![], vec![], vec![], vec![5]];
        let shards = partition(&ids, &needs, 3, &HashMap::new());
        let mut all: Vec<usize> = shards.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        let shard_of = |i: usize| shards.iter().position(|s| s.contains(&i)).expect("placed");
        assert_eq!(shard_of(0), shard_of(1));
        assert_eq!(shard_of(1), shard_of(2));
        assert_eq!(shard_of(5), shard_of(6));
        // The same input splits the same way.
        assert_eq!(shards, partition(&ids, &needs, 3, &HashMap::new()));
    }

    #[test]
    fn history_balances_by_duration() {
        let ids = ["a", "b", "c", "d"];
        let needs = vec![vec![]; 4];
        let expected: HashMap<String, u64> = [("a", 100), ("b", 60), ("c", 50), ("d", 10)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let shards = partition(&ids, &needs, 2, &expected);
        // LPT: a → 0; b → 1; c → 1 (60 < 100); d → 0 (100 < 110).
        assert_eq!(shards, vec![vec![0, 3], vec![1, 2]]);
    }
}
