//! The instance's places for runs: at most `size` at once. Runs beyond wait in a queue that is
//! fair across organizations: a free place goes to the waiting run of the organization served
//! least recently (first come first served within one), so one busy tenant cannot starve
//! another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use api::{OrgId, RunId};
use tokio::sync::oneshot;

pub struct Pool {
    inner: Mutex<Inner>,
}

struct Inner {
    free: Vec<usize>,
    waiting: Vec<Waiter>,
    /// When each organization last got a place (a counter, not a clock).
    last_served: HashMap<OrgId, u64>,
    served: u64,
}

struct Waiter {
    org: OrgId,
    run: RunId,
    arrived: u64,
    hand_over: oneshot::Sender<usize>,
}

/// A place taken: the number is the run's slot (the sandbox's uid and cgroup go by it). The
/// place goes to the next waiting run when this is dropped.
pub struct Place {
    pool: Arc<Pool>,
    slot: usize,
}

impl Place {
    pub fn slot(&self) -> usize {
        self.slot
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.pool.release(self.slot);
    }
}

/// A run's turn: a place now, or a wait.
pub enum Turn {
    Now(Place),
    /// The place arrives on the receiver; until then the run is in line.
    Later(oneshot::Receiver<usize>),
}

impl Pool {
    pub fn new(size: usize) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                free: (0..size.max(1)).rev().collect(),
                waiting: Vec::new(),
                last_served: HashMap::new(),
                served: 0,
            }),
        })
    }

    /// A place for `run` of `org`, or its place in line.
    pub fn take(self: &Arc<Self>, org: OrgId, run: RunId) -> Turn {
        let mut inner = self.inner.lock().expect("pool");
        if inner.waiting.is_empty()
            && let Some(slot) = inner.free.pop()
        {
            inner.served += 1;
            let served = inner.served;
            inner.last_served.insert(org, served);
            return Turn::Now(Place {
                pool: self.clone(),
                slot,
            });
        }
        let (hand_over, receiver) = oneshot::channel();
        inner.served += 1;
        let arrived = inner.served;
        inner.waiting.push(Waiter {
            org,
            run,
            arrived,
            hand_over,
        });
        Turn::Later(receiver)
    }

    /// Wraps a slot handed over through [`Turn::Later`].
    pub fn place(self: &Arc<Self>, slot: usize) -> Place {
        Place {
            pool: self.clone(),
            slot,
        }
    }

    /// A run that stopped waiting (stopped, or its pad's connection went): out of the line.
    pub fn leave_line(&self, run: RunId) {
        self.inner
            .lock()
            .expect("pool")
            .waiting
            .retain(|w| w.run != run);
    }

    /// How many runs will get a place before `run`, if it waits.
    pub fn ahead_of(&self, run: RunId) -> Option<usize> {
        let inner = self.inner.lock().expect("pool");
        let order = inner.order();
        order.iter().position(|&i| inner.waiting[i].run == run)
    }

    fn release(&self, slot: usize) {
        let mut inner = self.inner.lock().expect("pool");
        loop {
            let Some(&next) = inner.order().first() else {
                inner.free.push(slot);
                return;
            };
            let waiter = inner.waiting.remove(next);
            inner.served += 1;
            let served = inner.served;
            inner.last_served.insert(waiter.org, served);
            // A waiter whose run gave up meanwhile: the place goes to the next one.
            if waiter.hand_over.send(slot).is_ok() {
                return;
            }
        }
    }
}

impl Inner {
    /// The waiting runs' indexes in the order they will get places: each turn goes to the
    /// organization served least recently, its earliest run first.
    fn order(&self) -> Vec<usize> {
        let mut last: HashMap<OrgId, u64> = self.last_served.clone();
        let mut left: Vec<usize> = (0..self.waiting.len()).collect();
        let mut order = Vec::with_capacity(left.len());
        let mut turn = self.served;
        while !left.is_empty() {
            let (position, _) = left
                .iter()
                .enumerate()
                .min_by_key(|(_, i)| {
                    let w = &self.waiting[**i];
                    (last.get(&w.org).copied().unwrap_or(0), w.arrived)
                })
                .expect("not empty");
            let chosen = left.remove(position);
            turn += 1;
            last.insert(self.waiting[chosen].org, turn);
            order.push(chosen);
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> OrgId {
        OrgId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn run(n: u128) -> RunId {
        RunId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_busy_organization_does_not_starve_another() {
        let pool = Pool::new(1);
        let Turn::Now(first) = pool.take(org(1), run(1)) else {
            panic!("a free place");
        };
        // Organization 1 queues three runs before organization 2 queues one.
        let mut receivers: Vec<_> = [(1, 2), (1, 3), (1, 4), (2, 5)]
            .into_iter()
            .map(|(o, r)| match pool.take(org(o), run(r)) {
                Turn::Later(receiver) => (r, receiver),
                Turn::Now(_) => panic!("the pool is full"),
            })
            .collect();
        assert_eq!(pool.ahead_of(run(5)), Some(0), "org 2 goes next");
        assert_eq!(pool.ahead_of(run(2)), Some(1));
        assert_eq!(pool.ahead_of(run(4)), Some(3));

        drop(first);
        let (_, mut receiver) = receivers.remove(3);
        let slot = receiver.try_recv().expect("org 2 got the place");
        assert_eq!(slot, 0);
        let second = pool.place(slot);
        assert!(receivers.iter_mut().all(|(_, r)| r.try_recv().is_err()));
        drop(second);
        let (r, mut receiver) = receivers.remove(0);
        assert_eq!(r, 2);
        assert!(receiver.try_recv().is_ok(), "then org 1, first come first");
    }

    #[test]
    fn a_run_that_leaves_the_line_gives_its_turn_away() {
        let pool = Pool::new(1);
        let Turn::Now(first) = pool.take(org(1), run(1)) else {
            panic!("a free place");
        };
        let Turn::Later(gone) = pool.take(org(1), run(2)) else {
            panic!("full");
        };
        let Turn::Later(mut next) = pool.take(org(2), run(3)) else {
            panic!("full");
        };
        drop(gone);
        drop(first);
        assert!(next.try_recv().is_ok(), "the abandoned turn passed on");
        pool.leave_line(run(3));
        assert_eq!(pool.ahead_of(run(3)), None);
    }

    #[test]
    fn a_place_handed_to_a_run_that_then_gives_up_comes_back() {
        let pool = Pool::new(1);
        let Turn::Now(first) = pool.take(org(1), run(1)) else {
            panic!("a free place");
        };
        let Turn::Later(mut receiver) = pool.take(org(1), run(2)) else {
            panic!("full");
        };
        // The place is handed over, then the waiting run is stopped before it looks.
        drop(first);
        pool.leave_line(run(2));
        receiver.close();
        let slot = receiver.try_recv().expect("the place was handed over");
        drop(pool.place(slot));
        assert!(
            matches!(pool.take(org(2), run(3)), Turn::Now(_)),
            "not lost"
        );
    }

    #[test]
    fn places_come_back_when_dropped() {
        let pool = Pool::new(2);
        let places: Vec<_> = (0..2)
            .map(|i| match pool.take(org(1), run(i)) {
                Turn::Now(place) => place,
                Turn::Later(_) => panic!("two places"),
            })
            .collect();
        let mut slots: Vec<_> = places.iter().map(Place::slot).collect();
        slots.sort();
        assert_eq!(slots, [0, 1]);
        assert!(matches!(pool.take(org(1), run(9)), Turn::Later(_)));
        pool.leave_line(run(9));
        drop(places);
        assert!(matches!(pool.take(org(1), run(10)), Turn::Now(_)));
    }
}
