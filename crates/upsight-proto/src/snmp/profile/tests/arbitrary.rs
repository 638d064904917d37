//! Decoding never panics and keeps its promises on arbitrary answers.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Every OID any profile reads, scalars as they are and column roots as prefixes.
fn read_oids() -> Vec<(Oid, bool)> {
    let mut out = Vec::new();
    for profile in ALL {
        let plan = profile.plan();
        out.extend(plan.scalars.into_iter().map(|o| (o, false)));
        out.extend(plan.columns.into_iter().map(|o| (o, true)));
    }
    out
}

fn arb_value() -> impl Strategy<Value = Value> {
    let alarm = (0_usize..3, 0_u32..50).prop_map(|(root, k)| {
        let roots = ["1.3.6.1.2.1.33.1.6.3", "1.3.6.1.4.1.534.1.7", "1.3.6.1"];
        Value::Oid(oid(roots[root]).child(k))
    });
    let bits = vec(prop_oneof![Just(b'0'), Just(b'1'), any::<u8>()], 0..70);
    prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        (-2_i64..300).prop_map(Value::Integer),
        vec(any::<u8>(), 0..20).prop_map(Value::OctetString),
        bits.prop_map(Value::OctetString),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        any::<u64>().prop_map(Value::Counter64),
        alarm,
        Just(Value::Null),
        Just(Value::NoSuchInstance),
    ]
}

proptest! {
    #[test]
    fn decode_never_panics_and_keeps_its_promises(
        picks in vec((any::<prop::sample::Index>(), vec(0_u32..6, 0..3), arb_value()), 0..80),
    ) {
        let oids = read_oids();
        let values: Vec<(Oid, Value)> = picks
            .into_iter()
            .map(|(index, suffix, value)| {
                let (oid, is_column) = index.get(&oids).clone();
                let oid = if is_column {
                    suffix.into_iter().fold(oid, |o, arc| o.child(arc))
                } else {
                    oid
                };
                (oid, value)
            })
            .collect();
        let _ = detect(&values);
        for profile in ALL {
            if let Ok(d) = decode(profile, &values) {
                prop_assert!(d.vars.windows(2).all(|w| w[0].0 < w[1].0));
                prop_assert!(d.vars.iter().all(|(_, v)| !v.is_empty()));
                if let Some(status) = d.get("ups.status") {
                    let tokens: Vec<&str> = status.split(' ').collect();
                    let mut unique = tokens.clone();
                    unique.dedup();
                    prop_assert_eq!(tokens, unique);
                }
            }
        }
    }
}
