//! Recent readings per device, for history charts and `GET /api/v1/devices/{name}/history`:
//! a bounded ring in memory (not saved: charts start empty after a restart).

use std::collections::VecDeque;
use std::time::SystemTime;

use upsight_model::{Quantity, Reading};

/// Points kept per device: 720 points are an hour at the default 5 s interval.
pub const POINTS_PER_DEVICE: usize = 720;

/// The values charted for one successful poll (absent when the device does not report them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Poll time.
    pub at: SystemTime,
    /// Battery charge, 0..1.
    pub charge_ratio: Option<f64>,
    /// Estimated runtime, seconds.
    pub runtime_seconds: Option<f64>,
    /// Load, 0..1.
    pub load_ratio: Option<f64>,
    /// Input voltage, volts.
    pub input_voltage_volts: Option<f64>,
    /// Output voltage, volts.
    pub output_voltage_volts: Option<f64>,
    /// Real power, watts (measured or estimated).
    pub real_power_watts: Option<f64>,
    /// Whether the device was on battery.
    pub is_on_battery: bool,
}

impl Point {
    /// The charted values of `reading`, taken at `at`.
    pub fn of(at: SystemTime, reading: &Reading) -> Self {
        Self {
            at,
            charge_ratio: reading.value(Quantity::BatteryCharge),
            runtime_seconds: reading.value(Quantity::BatteryRuntime),
            load_ratio: reading.value(Quantity::Load),
            input_voltage_volts: reading.value(Quantity::InputVoltage),
            output_voltage_volts: reading.value(Quantity::OutputVoltage),
            real_power_watts: reading.value(Quantity::RealPower),
            is_on_battery: reading.status.has(&upsight_model::StatusFlag::Ob),
        }
    }
}

/// A bounded ring of points, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Points(VecDeque<Point>);

impl Points {
    /// Appends `point`, dropping the oldest beyond [`POINTS_PER_DEVICE`].
    pub fn push(&mut self, point: Point) {
        if self.0.len() == POINTS_PER_DEVICE {
            self.0.pop_front();
        }
        self.0.push_back(point);
    }

    /// Every point, oldest first.
    pub fn to_vec(&self) -> Vec<Point> {
        self.0.iter().copied().collect()
    }
}
