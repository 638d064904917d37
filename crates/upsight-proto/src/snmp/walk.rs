//! A sans-IO walk of several table columns at once, for GETBULK (v2c, v3) or multi-varbind
//! GETNEXT (v1).
//!
//! The caller asks [`Walk::next_request`] for the OIDs to send, sends them, and feeds the
//! response's varbinds back with [`Walk::feed`]. A column ends when the agent leaves it, says
//! `endOfMibView`, repeats an OID or goes backwards (a broken agent must not make us loop), or
//! reaches the row cap. Nothing here does I/O, so every agent misbehaviour is a unit test.

use super::{Oid, Value};

/// Bounds on one walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkLimits {
    /// Rows kept per column before the column is cut off.
    pub max_rows_per_column: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        Self {
            max_rows_per_column: 256,
        }
    }
}

/// Something an agent did wrong during a walk. The walk goes on with the other columns;
/// the caller logs these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkProblem {
    /// The agent answered an OID that is not after the previous one in the same column.
    #[error("agent returned non-increasing OID {got} after {previous} in column {column}")]
    NonIncreasing {
        /// Column root.
        column: Oid,
        /// Last OID accepted.
        previous: Oid,
        /// OID the agent sent.
        got: Oid,
    },
    /// The column had more rows than the limit.
    #[error("column {column} cut off after {rows} rows")]
    TooManyRows {
        /// Column root.
        column: Oid,
        /// Rows kept.
        rows: usize,
    },
    /// The response carried no varbind for a column that was asked for.
    #[error("agent returned no varbind for column {column}")]
    ShortResponse {
        /// Column root.
        column: Oid,
    },
}

#[derive(Debug, Clone)]
struct Column {
    root: Oid,
    last: Oid,
    rows: usize,
    is_done: bool,
}

/// A walk of several columns in lockstep.
#[derive(Debug, Clone)]
pub struct Walk {
    columns: Vec<Column>,
    in_flight: Vec<usize>,
    limits: WalkLimits,
    values: Vec<(Oid, Value)>,
    problems: Vec<WalkProblem>,
}

impl Walk {
    /// A walk of the columns under each root.
    pub fn new(roots: Vec<Oid>, limits: WalkLimits) -> Self {
        let columns = roots
            .into_iter()
            .map(|root| Column {
                last: root.clone(),
                root,
                rows: 0,
                is_done: false,
            })
            .collect();
        Self {
            columns,
            in_flight: Vec::new(),
            limits,
            values: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Whether every column has ended.
    pub fn is_done(&self) -> bool {
        self.columns.iter().all(|c| c.is_done)
    }

    /// The OIDs to send next (the last OID seen in each unfinished column), or `None` when
    /// the walk is over. Each call replaces the request in flight.
    pub fn next_request(&mut self) -> Option<Vec<Oid>> {
        self.in_flight = (0..self.columns.len())
            .filter(|&i| !self.columns[i].is_done)
            .collect();
        if self.in_flight.is_empty() {
            return None;
        }
        Some(
            self.in_flight
                .iter()
                .map(|&i| self.columns[i].last.clone())
                .collect(),
        )
    }

    /// Feeds the varbinds answering the last [`Walk::next_request`]. GETBULK answers come in
    /// repetitions of one varbind per requested OID, so varbind `k` belongs to requested OID
    /// `k mod n`; a GETNEXT answer is one repetition.
    pub fn feed(&mut self, varbinds: Vec<(Oid, Value)>) {
        let n = self.in_flight.len();
        if n == 0 {
            return;
        }
        let mut has_answer = vec![false; n];
        for (k, (oid, value)) in varbinds.into_iter().enumerate() {
            let slot = k % n;
            has_answer[slot] = true;
            let column = &mut self.columns[self.in_flight[slot]];
            if column.is_done {
                continue;
            }
            if matches!(value, Value::EndOfMibView)
                || oid.suffix_after(&column.root).is_none()
                || value.is_exception()
            {
                column.is_done = true;
                continue;
            }
            if oid <= column.last {
                self.problems.push(WalkProblem::NonIncreasing {
                    column: column.root.clone(),
                    previous: column.last.clone(),
                    got: oid,
                });
                column.is_done = true;
                continue;
            }
            if column.rows >= self.limits.max_rows_per_column {
                self.problems.push(WalkProblem::TooManyRows {
                    column: column.root.clone(),
                    rows: column.rows,
                });
                column.is_done = true;
                continue;
            }
            column.rows += 1;
            column.last = oid.clone();
            self.values.push((oid, value));
        }
        for (slot, answered) in has_answer.into_iter().enumerate() {
            let column = &mut self.columns[self.in_flight[slot]];
            if !answered && !column.is_done {
                self.problems.push(WalkProblem::ShortResponse {
                    column: column.root.clone(),
                });
                column.is_done = true;
            }
        }
        self.in_flight.clear();
    }

    /// What went wrong so far (for logs).
    pub fn problems(&self) -> &[WalkProblem] {
        &self.problems
    }

    /// Every row collected, in the order received.
    pub fn into_values(self) -> Vec<(Oid, Value)> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn int(v: i64) -> Value {
        Value::Integer(v)
    }

    #[test]
    fn walks_two_columns_in_lockstep_until_they_leave() {
        let mut walk = Walk::new(vec![o("1.9.1"), o("1.9.2")], WalkLimits::default());
        assert_eq!(walk.next_request(), Some(vec![o("1.9.1"), o("1.9.2")]));
        // Two repetitions of two columns, interleaved row by row.
        walk.feed(vec![
            (o("1.9.1.1"), int(10)),
            (o("1.9.2.1"), int(20)),
            (o("1.9.1.2"), int(11)),
            (o("1.9.2.2"), int(21)),
        ]);
        assert_eq!(walk.next_request(), Some(vec![o("1.9.1.2"), o("1.9.2.2")]));
        walk.feed(vec![
            (o("1.9.2.1"), int(20)), // column 1 ran into column 2: it left its root
            (o("1.9.3.1"), int(30)),
        ]);
        assert!(walk.is_done());
        assert_eq!(walk.next_request(), None);
        assert!(walk.problems().is_empty());
        assert_eq!(walk.into_values().len(), 4);
    }

    #[test]
    fn stops_on_end_of_mib_view_padding() {
        let mut walk = Walk::new(vec![o("1.9.1")], WalkLimits::default());
        walk.next_request();
        walk.feed(vec![
            (o("1.9.1.1"), int(1)),
            (o("1.9.1.1"), Value::EndOfMibView),
            (o("1.9.1.1"), Value::EndOfMibView),
        ]);
        assert!(walk.is_done());
        assert!(walk.problems().is_empty());
        assert_eq!(walk.into_values(), vec![(o("1.9.1.1"), int(1))]);
    }

    #[test]
    fn never_loops_on_a_repeated_or_backwards_oid() {
        let mut walk = Walk::new(vec![o("1.9.1"), o("1.9.2")], WalkLimits::default());
        walk.next_request();
        walk.feed(vec![(o("1.9.1.5"), int(1)), (o("1.9.2.5"), int(2))]);
        walk.next_request();
        // Column 1 repeats itself, column 2 goes backwards: both end, nothing is re-asked.
        walk.feed(vec![(o("1.9.1.5"), int(1)), (o("1.9.2.4"), int(2))]);
        assert!(walk.is_done());
        assert_eq!(walk.problems().len(), 2);
        assert!(
            walk.problems()[0]
                .to_string()
                .contains("non-increasing OID 1.9.1.5 after 1.9.1.5")
        );
    }

    #[test]
    fn cuts_a_column_at_the_row_cap() {
        let limits = WalkLimits {
            max_rows_per_column: 3,
        };
        let mut walk = Walk::new(vec![o("1.9.1")], limits);
        let mut requests = 0;
        while let Some(ask) = walk.next_request() {
            requests += 1;
            assert!(requests < 10, "walk did not end");
            let next = ask[0].child(1);
            walk.feed(vec![(next, int(0))]);
        }
        assert_eq!(requests, 4);
        assert!(matches!(
            walk.problems(),
            [WalkProblem::TooManyRows { rows: 3, .. }]
        ));
    }

    #[test]
    fn an_empty_or_short_answer_ends_the_columns_it_skipped() {
        let mut walk = Walk::new(vec![o("1.9.1"), o("1.9.2")], WalkLimits::default());
        walk.next_request();
        walk.feed(vec![(o("1.9.1.1"), int(1))]);
        assert_eq!(walk.next_request(), Some(vec![o("1.9.1.1")]));
        walk.feed(Vec::new());
        assert!(walk.is_done());
        assert_eq!(walk.problems().len(), 2);
    }

    #[test]
    fn exceptions_end_a_column() {
        let mut walk = Walk::new(vec![o("1.9.1")], WalkLimits::default());
        walk.next_request();
        walk.feed(vec![(o("1.9.1.1"), Value::NoSuchObject)]);
        assert!(walk.is_done());
        assert!(walk.into_values().is_empty());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn arcs() -> impl Strategy<Value = Vec<u32>> {
            prop::collection::vec(0u32..4, 0..4)
        }

        proptest! {
            /// Whatever an agent answers (repeats, backwards steps, other subtrees, short or
            /// empty answers), the walk asks at most rows + 1 times per column and ends.
            #[test]
            fn any_agent_answers_end_the_walk(
                answers in prop::collection::vec(
                    prop::collection::vec((any::<bool>(), arcs(), any::<bool>()), 0..6),
                    0..64,
                ),
            ) {
                let limits = WalkLimits { max_rows_per_column: 8 };
                let roots = vec![o("1.9.1"), o("1.9.2")];
                let mut walk = Walk::new(roots.clone(), limits);
                let mut requests = 0;
                let mut answers = answers.into_iter();
                while let Some(ask) = walk.next_request() {
                    requests += 1;
                    prop_assert!(requests <= 2 * (limits.max_rows_per_column + 1));
                    let Some(answer) = answers.next() else { break };
                    let varbinds = answer
                        .into_iter()
                        .enumerate()
                        .map(|(k, (is_under, tail, is_end))| {
                            let base = if is_under { ask[k % ask.len()].clone() } else { o("1.9.9") };
                            let oid = tail.into_iter().fold(base, |oid, arc| oid.child(arc));
                            let value = if is_end { Value::EndOfMibView } else { int(1) };
                            (oid, value)
                        })
                        .collect();
                    walk.feed(varbinds);
                }
                let values = walk.into_values();
                prop_assert!(values.len() <= 2 * limits.max_rows_per_column);
                for root in &roots {
                    let column: Vec<&Oid> = values.iter().map(|(oid, _)| oid).filter(|oid| oid.starts_with(root)).collect();
                    prop_assert!(column.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
                }
            }
        }
    }
}
