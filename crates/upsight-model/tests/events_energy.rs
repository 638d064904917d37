//! Property tests for the stateful domain pieces persisted in the state file: the event
//! detector, the outage tracker and the energy meter. Each must be restart-safe: a
//! serialize → deserialize round trip at any point changes nothing.

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use upsight_model::{
    DetectorConfig, DeviceInfo, EnergyConfig, EnergyMeter, Event, EventDetector, EventKind,
    FailureReason, Identity, Observation, OutageTracker, Quantity, Reading, Sample, Source, Status,
};

const BASE: u64 = 1_700_000_000;

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(BASE) + Duration::from_millis(ms)
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let json = serde_json::to_string(value).expect("state serializes");
    serde_json::from_str(&json).expect("state deserializes")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// === energy ===

/// (step in ms, possibly backwards; watts, possibly invalid)
fn power_series() -> impl Strategy<Value = Vec<(i64, f64)>> {
    let watts = prop_oneof![
        8 => 0.0..5000.0f64,
        1 => Just(f64::NAN),
        1 => -100.0..0.0f64,
    ];
    prop::collection::vec((-10_000i64..200_000, watts), 0..60)
}

fn times(series: &[(i64, f64)]) -> Vec<(SystemTime, f64)> {
    let mut t = at(0);
    series
        .iter()
        .map(|&(step, w)| {
            let d = Duration::from_millis(step.unsigned_abs());
            t = if step < 0 { t - d } else { t + d };
            (t, w)
        })
        .collect()
}

fn energy_config(max_gap_s: u64, offset: i32) -> EnergyConfig {
    EnergyConfig {
        max_gap: Duration::from_secs(max_gap_s),
        utc_offset_seconds: offset,
        max_days: 400,
    }
}

proptest! {
    #[test]
    fn energy_is_never_negative_and_never_decreases(
        series in power_series(), gap in 1u64..300, offset in -50_000i32..50_000,
    ) {
        let mut meter = EnergyMeter::new(energy_config(gap, offset));
        let mut previous = 0.0;
        for (t, w) in times(&series) {
            meter.observe(t, w);
            prop_assert!(meter.total_joules() >= previous);
            previous = meter.total_joules();
        }
        prop_assert!(meter.daily_joules().all(|(_, j)| j >= 0.0));
        let daily: f64 = meter.daily_joules().map(|(_, j)| j).sum();
        prop_assert!(close(daily, meter.total_joules()), "{daily} vs {}", meter.total_joules());
    }

    #[test]
    fn constant_power_over_time_gives_power_times_time(
        watts in 0.0..10_000.0f64, steps in prop::collection::vec(1u64..60_000, 1..100),
    ) {
        let mut meter = EnergyMeter::new(energy_config(60, 0));
        let mut t = 0;
        meter.observe(at(t), watts);
        for step in &steps {
            t += step;
            meter.observe(at(t), watts);
        }
        let expected = watts * Duration::from_millis(t).as_secs_f64();
        prop_assert!(close(meter.total_joules(), expected), "{} vs {expected}", meter.total_joules());
    }

    #[test]
    fn energy_survives_a_restart_anywhere(
        series in power_series(), split in 0usize..60, gap in 1u64..300,
    ) {
        let config = energy_config(gap, 3600);
        let samples = times(&series);
        let split = split.min(samples.len());
        let mut one = EnergyMeter::new(config);
        let mut two = EnergyMeter::new(config);
        for &(t, w) in &samples[..split] {
            one.observe(t, w);
            two.observe(t, w);
        }
        let mut two = round_trip(&two);
        two.set_config(config);
        for &(t, w) in &samples[split..] {
            one.observe(t, w);
            two.observe(t, w);
        }
        prop_assert!(close(one.total_joules(), two.total_joules()));
        let (a, b): (Vec<_>, Vec<_>) = (one.daily_joules().collect(), two.daily_joules().collect());
        prop_assert_eq!(a.len(), b.len());
        for ((da, ja), (db, jb)) in a.into_iter().zip(b) {
            prop_assert_eq!(da, db);
            prop_assert!(close(ja, jb));
        }
    }
}

// === events ===

const TOKENS: [&str; 14] = [
    "OL", "OB", "LB", "RB", "OVER", "BYPASS", "TRIM", "BOOST", "FSD", "CAL", "OFF", "ALARM",
    "CHRG", "XYZ",
];

#[derive(Debug, Clone)]
enum Obs {
    Up(Status),
    Down(FailureReason),
}

fn observation() -> impl Strategy<Value = Obs> {
    // Mostly stable statuses so debouncing confirms something.
    let status = prop_oneof![
        4 => Just(Status::parse("OL")),
        3 => Just(Status::parse("OB DISCHRG")),
        3 => prop::sample::subsequence(TOKENS.to_vec(), 0..5)
            .prop_map(|t| Status::parse(&t.join(" "))),
    ];
    prop_oneof![
        8 => status.prop_map(Obs::Up),
        2 => prop::sample::select(FailureReason::ALL.to_vec()).prop_map(Obs::Down),
    ]
}

fn config() -> impl Strategy<Value = DetectorConfig> {
    (1u32..4, 1u32..4).prop_map(|(f, c)| DetectorConfig {
        flag_debounce: NonZeroU32::new(f).expect("range starts at 1"),
        comm_debounce: NonZeroU32::new(c).expect("range starts at 1"),
    })
}

fn feed(detector: &mut EventDetector, i: usize, obs: &Obs) -> Vec<Event> {
    let t = at(i as u64 * 5000);
    match obs {
        Obs::Up(status) => detector.observe(t, Observation::Up(status)),
        Obs::Down(reason) => detector.observe(t, Observation::Down(*reason)),
    }
}

proptest! {
    #[test]
    fn detector_restart_anywhere_emits_the_same_events(
        observations in prop::collection::vec(observation(), 0..80),
        split in 0usize..80,
        config in config(),
    ) {
        let split = split.min(observations.len());
        let mut one = EventDetector::new("ups1".parse().unwrap(), config);
        let mut two = one.clone();
        let mut events_one = Vec::new();
        let mut events_two = Vec::new();
        for (i, obs) in observations.iter().enumerate() {
            if i == split {
                two = round_trip(&two);
                two.set_config(config);
            }
            events_one.extend(feed(&mut one, i, obs));
            events_two.extend(feed(&mut two, i, obs));
        }
        prop_assert_eq!(&events_one, &events_two);
        prop_assert_eq!(&one, &two);
        for (i, event) in events_one.iter().enumerate() {
            prop_assert_eq!(event.seq, i as u64 + 1);
        }
        for (raise, clear) in EventKind::PAIRS {
            let mut last = None;
            for kind in events_one.iter().map(|e| e.kind).filter(|k| *k == raise || *k == clear) {
                prop_assert_ne!(last, Some(kind), "{} twice in a row", kind);
                last = Some(kind);
            }
            let count = |k| events_one.iter().filter(|e| e.kind == k).count() as u64;
            prop_assert_eq!(one.transitions(raise), count(raise));
            prop_assert_eq!(one.transitions(clear), count(clear));
        }
    }
}

// === outages ===

fn reading(status: Status, charge: f64) -> Reading {
    Reading {
        source: Source::Nut,
        status,
        samples: vec![Sample {
            quantity: Quantity::BatteryCharge,
            phase: None,
            outlet: None,
            value: charge,
        }],
        is_real_power_estimated: false,
        info: DeviceInfo::default(),
        identity: Identity::default(),
        raw: Vec::new(),
    }
}

proptest! {
    #[test]
    fn outage_min_charge_is_at_most_every_charge_seen_during_it(
        polls in prop::collection::vec((any::<bool>(), 0.0..1.0f64), 1..80),
        config in config(),
    ) {
        let mut detector = EventDetector::new("ups1".parse().unwrap(), config);
        let mut tracker = OutageTracker::new("ups1".parse().unwrap(), Duration::from_secs(25));
        let mut seen = Vec::new();
        for (i, (on_battery, charge)) in polls.into_iter().enumerate() {
            let t = at(i as u64 * 5000);
            let status = Status::parse(if on_battery { "OB DISCHRG" } else { "OL CHRG" });
            for event in detector.observe(t, Observation::Up(&status)) {
                if let Some(outage) = tracker.observe_event(&event) {
                    let min = outage.min_charge_ratio;
                    prop_assert!(seen.iter().all(|c| min.is_some_and(|m| m <= *c)));
                    prop_assert!(min.is_none_or(|m| seen.contains(&m)));
                    prop_assert!(outage.end.is_some_and(|end| end >= outage.start));
                    seen.clear();
                }
            }
            if tracker.current().is_some() {
                seen.push(charge);
            }
            tracker.observe_reading(t, &reading(status, charge));
            if let Some(open) = tracker.current() {
                prop_assert!(seen.iter().all(|c| open.min_charge_ratio.is_some_and(|m| m <= *c)));
            }
        }
        prop_assert!(tracker.on_battery_seconds_total() >= 0.0);
    }
}
