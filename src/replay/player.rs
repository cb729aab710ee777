//! The replay's controls, without a clock: where the cursor is, how fast it plays and
//! whether it plays. The loop reads the wall clock and hands the time that passed to
//! [`Player::tick`]; everything here is a function of its arguments.

use crate::event::TimeMs;

/// The speeds `+` and `-` step through (event time per wall-clock time).
pub const SPEEDS: [u32; 5] = [1, 10, 60, 600, 3600];
/// `←` and `→` move the cursor this far.
pub const STEP_KEY_MS: TimeMs = 60_000;

/// The cursor's bounds, speed and play state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Player {
    at: TimeMs,
    start: TimeMs,
    end: TimeMs,
    speed: u32,
    playing: bool,
}

impl Player {
    /// Paused at `start`, bounded to `[start, end]`; `speed` is kept within 1x..3600x.
    pub fn new(start: TimeMs, end: TimeMs, speed: u32) -> Self {
        Player {
            at: start,
            start,
            end: end.max(start),
            speed: speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            playing: false,
        }
    }

    pub fn at(&self) -> TimeMs {
        self.at
    }

    pub fn speed(&self) -> u32 {
        self.speed
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn bounds(&self) -> (TimeMs, TimeMs) {
        (self.start, self.end)
    }

    /// Space or `p`: plays from where the cursor is; at the end, plays from the start.
    pub fn toggle(&mut self) {
        if !self.playing && self.at >= self.end {
            self.at = self.start;
        }
        self.playing = !self.playing;
    }

    /// `+`: the next speed up (stays at the top).
    pub fn faster(&mut self) {
        if let Some(&s) = SPEEDS.iter().find(|&&s| s > self.speed) {
            self.speed = s;
        }
    }

    /// `-`: the next speed down (stays at 1x).
    pub fn slower(&mut self) {
        if let Some(&s) = SPEEDS.iter().rev().find(|&&s| s < self.speed) {
            self.speed = s;
        }
    }

    /// Moves the cursor by `delta` (a key), within the bounds; playing goes on from there.
    pub fn step(&mut self, delta: TimeMs) -> TimeMs {
        self.jump(self.at.saturating_add(delta))
    }

    /// Puts the cursor at `t`, within the bounds.
    pub fn jump(&mut self, t: TimeMs) -> TimeMs {
        self.at = t.clamp(self.start, self.end);
        self.at
    }

    /// `elapsed_ms` of wall-clock time passed: while playing, the cursor moves on by that
    /// times the speed, and stops (paused) at the end. Returns the cursor.
    pub fn tick(&mut self, elapsed_ms: u64) -> TimeMs {
        if self.playing {
            let moved =
                i64::try_from(elapsed_ms.saturating_mul(u64::from(self.speed))).unwrap_or(i64::MAX);
            self.at = self.at.saturating_add(moved).min(self.end);
            if self.at == self.end {
                self.playing = false;
            }
        }
        self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: TimeMs = 1_767_225_600_000;
    const HOUR: TimeMs = 3_600_000;

    #[test]
    fn speeds_step_up_and_down_and_stop_at_the_ends() {
        let mut p = Player::new(T0, T0 + HOUR, 1);
        let mut up = vec![p.speed()];
        for _ in 0..6 {
            p.faster();
            up.push(p.speed());
        }
        assert_eq!(up, [1, 10, 60, 600, 3600, 3600, 3600]);
        p.slower();
        p.slower();
        assert_eq!(p.speed(), 60);
        // A `--speed` between the steps moves to the step on either side.
        let mut odd = Player::new(T0, T0 + HOUR, 100);
        odd.faster();
        assert_eq!(odd.speed(), 600);
        let mut odd = Player::new(T0, T0 + HOUR, 100);
        odd.slower();
        assert_eq!(odd.speed(), 60);
        assert_eq!(Player::new(T0, T0, 0).speed(), 1);
        assert_eq!(Player::new(T0, T0, 100_000).speed(), 3600);
    }

    #[test]
    fn ticks_move_the_cursor_by_wall_time_times_speed_only_while_playing() {
        let mut p = Player::new(T0, T0 + HOUR, 60);
        assert_eq!(p.tick(1_000), T0, "starts paused");
        p.toggle();
        assert_eq!(p.tick(100), T0 + 6_000);
        assert_eq!(p.tick(1_000), T0 + 66_000);
        p.faster();
        assert_eq!(p.tick(250), T0 + 66_000 + 150_000);
        p.toggle();
        assert_eq!(p.tick(10_000), T0 + 216_000);
    }

    #[test]
    fn the_cursor_stays_in_history_and_stops_at_its_end() {
        let mut p = Player::new(T0, T0 + HOUR, 3600);
        assert_eq!(p.step(-STEP_KEY_MS), T0, "nothing before the start");
        p.toggle();
        assert_eq!(p.tick(999), T0 + 999 * 3600);
        assert_eq!(p.tick(5_000), T0 + HOUR, "held at the end");
        assert!(!p.playing(), "and paused there");
        assert_eq!(p.step(STEP_KEY_MS), T0 + HOUR);
        assert_eq!(p.step(-STEP_KEY_MS), T0 + HOUR - STEP_KEY_MS);
        assert_eq!(p.jump(T0 - 5 * HOUR), T0);
        // Playing again from the end starts over.
        p.jump(T0 + HOUR);
        p.toggle();
        assert_eq!((p.at(), p.playing()), (T0, true));
        assert_eq!(p.tick(u64::MAX), T0 + HOUR, "no overflow");
    }
}
