//! Lesson: layered recovery and fault isolation. A small Rust service
//! answers ten requests with the help of a C parsing library, and the fifth
//! request is a line the library cannot take. Where the service recovers
//! decides what the fault costs: nowhere (the process dies and every
//! request after it is lost), at the call (a panic caught at the boundary
//! becomes an error answer), or at the service (the C code runs in a worker
//! process that is restarted, and the request is answered from a cache). A
//! restart that forgets what it held for the dead worker leaks it, once per
//! crash.

use std::ffi::CStr;
use std::panic::catch_unwind;

use crate::ffi::lessons::service::{Worker, WorkerDied, parse_request, serve_request};
use crate::ffi::name_rust_blocks;
use crate::track::Anomaly;

use super::isolated::signal_label;
use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct ServiceSurvives;

const VARIANTS: &[Variant] = &[
    Variant::crashing(
        "in-process",
        "The C parser runs in the service's own process: request 5's SIGSEGV takes the whole service down.",
    ),
    Variant::new(
        "panic-recovered",
        "The handler C calls back panics on request 5; catch_unwind stops it at the boundary, the request gets an error and the loop goes on.",
    ),
    Variant::new(
        "isolated-worker",
        "The C parser runs in a worker process: request 5 kills only the worker, which the service restarts, answering that request from its cache.",
    ),
    Variant::new(
        "restart-leaks",
        "As isolated-worker, but the restart never releases the dead worker's C block: a leak per crash.",
    ),
];

/// What the service is asked, in order; the fifth line has no path.
const REQUESTS: [&CStr; 10] = [
    c"GET /",
    c"GET /menu",
    c"POST /order",
    c"GET /order/17",
    c"BROKEN",
    c"GET /menu",
    c"GET /hours",
    c"POST /order",
    c"GET /order/18",
    c"GET /",
];

/// The requests each step serves.
const BATCHES: [std::ops::Range<usize>; 3] = [0..4, 4..5, 5..10];

const START: StepInfo = StepInfo {
    title: "Start the service",
    explanation: "The service keeps its last good answer as a cache and a log of every answer. The C parser runs in this very process.",
    rust: "start",
    c: None,
};

const SHUT_DOWN: StepInfo = StepInfo {
    title: "Shut down",
    explanation: "The log is written out and dropped with the cache: everything the service allocated goes back.",
    rust: "shut_down",
    c: None,
};

const IN_PROCESS: &[StepInfo] = &[
    START,
    StepInfo {
        title: "Requests 1–4",
        explanation: "Each line goes to C's parse_request, in this process; the service answers with the method and path it returns.",
        rust: "parse",
        c: Some("parse_request"),
    },
    StepInfo {
        title: "Request 5: a line with no path",
        explanation: "`BROKEN` has no space, and parse_request reads through strchr's NULL. The SIGSEGV is the whole service's: request 5 and the five after it are lost.",
        rust: "parse",
        c: Some("parse_request"),
    },
    StepInfo {
        title: "Requests 6–10",
        explanation: "Never reached when the process died in request 5.",
        rust: "parse",
        c: Some("parse_request"),
    },
    SHUT_DOWN,
];

const PANIC_RECOVERED: &[StepInfo] = &[
    START,
    StepInfo {
        title: "Requests 1–4",
        explanation: "C's serve_request splits each line and calls the service's handler with its method and path.",
        rust: "handle",
        c: Some("serve_request"),
    },
    StepInfo {
        title: "Request 5: a line with no path",
        explanation: "C hands the handler a NULL path, and the handler's expect panics. catch_unwind stops the panic at the boundary: the handler returns -1, C frees its copy of the line, and the request is answered 400. Recovery at the call: only a panic can be caught this way, never a SIGSEGV.",
        rust: "handle",
        c: Some("serve_request"),
    },
    StepInfo {
        title: "Requests 6–10",
        explanation: "The loop goes on as if nothing had happened.",
        rust: "handle",
        c: Some("serve_request"),
    },
    SHUT_DOWN,
];

const ISOLATED_WORKER: &[StepInfo] = &[
    StepInfo {
        title: "Start the service and its worker",
        explanation: "worker_start forks a worker process that runs the C parser. The service keeps a C block per worker: its pid, its end of the channel and its reply buffer.",
        rust: "start_worker",
        c: Some("worker_start"),
    },
    StepInfo {
        title: "Requests 1–4",
        explanation: "Each line travels to the worker, and its reply comes back.",
        rust: "ask",
        c: Some("worker_ask"),
    },
    StepInfo {
        title: "Request 5: a line with no path",
        explanation: "The parser's SIGSEGV kills the worker, not the service. The service stops the dead worker, which releases its block, starts a new one, and answers request 5 from its cache. Recovery at the service, with degradation: one answer is stale, none is lost.",
        rust: "recover",
        c: Some("worker_stop"),
    },
    StepInfo {
        title: "Requests 6–10",
        explanation: "The new worker answers. The service's own heap never noticed the crash.",
        rust: "ask",
        c: Some("worker_ask"),
    },
    StepInfo {
        title: "Shut down",
        explanation: "worker_stop ends the last worker and releases its block; the log and the cache go too.",
        rust: "shut_down_worker",
        c: Some("worker_stop"),
    },
];

const RESTART_LEAKS: &[StepInfo] = &[
    ISOLATED_WORKER[0],
    ISOLATED_WORKER[1],
    StepInfo {
        title: "Request 5: a line with no path",
        explanation: "The worker dies as before, and the service starts a new one, but it only overwrites its handle on the dead one: the dead worker's block is never released. One leak per crash, which a long-lived service pays again on every bad request.",
        rust: "recover",
        c: Some("worker_start"),
    },
    ISOLATED_WORKER[3],
    ISOLATED_WORKER[4],
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "service-survives",
    title: "The service that survives its C library",
    lesson: "recovery",
    variants: VARIANTS,
    rust_source: include_str!("service_survives.rs"),
    c_source: include_str!("../../csrc/scenarios/service.c"),
    releasers: &[("worker_start", "`worker_stop`, for the dead worker too, before starting the next")],
};

impl Scenario for ServiceSurvives {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        let strategy = match variant {
            "in-process" => Strategy::InProcess,
            "isolated-worker" => Strategy::IsolatedWorker,
            "restart-leaks" => Strategy::RestartLeaks,
            _ => Strategy::PanicRecovered,
        };
        Box::new(Run { strategy, service: None })
    }
}

/// Where the service recovers from a request the C library cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    InProcess,
    PanicRecovered,
    IsolatedWorker,
    RestartLeaks,
}

struct Run {
    strategy: Strategy,
    service: Option<Service>,
}

/// The service's state: all of it on its own heap, but the worker's block.
#[derive(Debug, Default)]
struct Service {
    worker: Option<Worker>,
    /// The last good answer, given again when the C side fails.
    cache: Option<String>,
    answers: Vec<String>,
    served: u64,
    degraded: u64,
    failed: u64,
}

/// What became of a request.
enum Answer {
    Served(String),
    /// From the cache: the C side failed.
    Degraded(String),
    /// An error answer: the C side failed and nothing could stand in.
    Failed(String),
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        match self.strategy {
            Strategy::InProcess => IN_PROCESS,
            Strategy::PanicRecovered => PANIC_RECOVERED,
            Strategy::IsolatedWorker => ISOLATED_WORKER,
            Strategy::RestartLeaks => RESTART_LEAKS,
        }
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        cx.tally("requests_planned", REQUESTS.len() as u64);
        match index {
            0 => {
                let _named = name_rust_blocks(c"the service's answer log");
                self.service = Some(self.start());
            }
            1..=3 => {
                let _named = name_rust_blocks(c"answers (String)");
                let strategy = self.strategy;
                let Some(service) = &mut self.service else { return };
                for number in BATCHES[index - 1].clone() {
                    let line = REQUESTS[number];
                    let answer = service.answer(strategy, line, number + 1, cx);
                    service.record(answer, line, cx);
                }
            }
            _ => {
                if let Some(service) = self.service.take() {
                    service.shut_down();
                }
            }
        }
        if let Some(service) = &self.service {
            cx.tally("requests_served", service.served);
            cx.tally("requests_degraded", service.degraded);
            cx.tally("requests_failed", service.failed);
        }
    }
}

impl Run {
    fn start(&self) -> Service {
        if matches!(self.strategy, Strategy::IsolatedWorker | Strategy::RestartLeaks) {
            // [step:start_worker]
            let worker = Worker::start(); // worker_start: fork, and a C block for the worker
            Service { worker, answers: Vec::with_capacity(REQUESTS.len()), ..Service::default() }
            // [/step]
        } else {
            // [step:start]
            Service { answers: Vec::with_capacity(REQUESTS.len()), ..Service::default() }
            // [/step]
        }
    }
}

impl Service {
    fn answer(&mut self, strategy: Strategy, line: &CStr, number: usize, cx: &mut StepContext<'_>) -> Answer {
        match strategy {
            Strategy::InProcess => {
                // [step:parse]
                let request = parse_request(line); // C, in this very process // [crash]
                Answer::Served(format!("200 {} {}", request.method, request.path))
                // [/step]
            }
            Strategy::PanicRecovered => {
                // [step:handle]
                let mut answer = None;
                // C splits the line and calls this handler with its
                // parts.
                let status = serve_request(line, &mut |method, path| {
                    // No panic may unwind into C: it is caught here, at
                    // the boundary.
                    match catch_unwind(|| path.expect("a request line has a path")) {
                        Ok(path) => {
                            answer = Some(format!("200 {method} {path}"));
                            0
                        }
                        Err(_) => -1,
                    }
                });
                match answer {
                    Some(text) if status == 0 => Answer::Served(text),
                    _ => Answer::Failed("400 Bad Request".to_owned()),
                }
                // [/step]
            }
            Strategy::IsolatedWorker | Strategy::RestartLeaks => {
                let Some(worker) = &mut self.worker else { return Answer::Failed("503 No Worker".to_owned()) };
                // [step:ask]
                let reply = worker.ask(line); // C, in the worker's process
                // [/step]
                match reply {
                    Ok(reply) => Answer::Served(reply),
                    Err(died) => self.recover(strategy, died, number, cx),
                }
            }
        }
    }

    /// The worker died with request `number`: start another, answer from the cache.
    fn recover(&mut self, strategy: Strategy, died: WorkerDied, number: usize, cx: &mut StepContext<'_>) -> Answer {
        let dead = self.worker.take();
        let replacement = if strategy == Strategy::IsolatedWorker {
            // [step:recover]
            // The worker died with the request; the service did not.
            if let Some(dead) = dead {
                dead.stop(); // worker_stop: releases the dead worker's block
            }
            Worker::start()
            // [/step]
        } else {
            // [step:recover@restart-leaks]
            // The worker died with the request; the service did not.
            drop(dead); // no worker_stop: the dead worker's block is never released
            Worker::start()
            // [/step]
        };
        self.worker = replacement;
        let replacement = self.worker.as_ref().map(Worker::pid);
        cx.anomaly_with(|| {
            let restarted = replacement.map_or_else(
                || "the service could not start another".to_owned(),
                |pid| format!("the service started process {pid} in its place"),
            );
            let what = format!("on request {number}; {restarted} and answered from its cache.");
            Anomaly::worker_crash(died.pid, &signal_label(died.signal), &what)
        });
        match &self.cache {
            Some(cached) => Answer::Degraded(cached.clone()),
            None => Answer::Failed("503 Service Unavailable".to_owned()),
        }
    }

    /// Counts and logs an answer; a good one becomes the cache.
    fn record(&mut self, answer: Answer, line: &CStr, cx: &mut StepContext<'_>) {
        let text = match answer {
            Answer::Served(text) => {
                self.served += 1;
                self.cache = Some(text.clone());
                text
            }
            Answer::Degraded(text) => {
                self.degraded += 1;
                text
            }
            Answer::Failed(text) => {
                self.failed += 1;
                text
            }
        };
        cx.note_with(|| format!("{:?} → {text}", line.to_string_lossy()));
        self.answers.push(text);
    }

    fn shut_down(self) {
        let Service { worker, answers, cache, .. } = self;
        if let Some(worker) = worker {
            // [step:shut_down_worker]
            worker.stop(); // worker_stop: ends the worker, releases its block
            // [/step]
        }
        // [step:shut_down]
        drop(answers); // the log, written out
        drop(cache);
        // [/step]
    }
}
