//! Lesson: leak detection. A request loop calls C for every request; one
//! path in ten leaks. The outstanding blocks and the per-site statistics
//! point at the site that allocated what nobody freed.

use crate::ffi::lessons::requests::handle_request;
use crate::ffi::name_rust_blocks;

use super::{RunOptions, Scenario, ScenarioInfo, ScenarioRun, StepContext, StepInfo, Variant};

#[derive(Debug)]
pub struct LeakHunt;

const REQUESTS_PER_STEP: i32 = 25;

const VARIANTS: &[Variant] = &[
    Variant::new("correct", "Every path frees what it allocated."),
    Variant::new("leaky", "The validation-error path forgets the request body: 1 request in 10 leaks 64 bytes."),
];

const STEPS: &[StepInfo] = &[
    StepInfo {
        title: "Serve requests 0–24",
        explanation: "Each request allocates a body and headers in C and a log line in Rust. Watch the live counts between requests: they should return to zero.",
        rust: "serve",
        c: Some("handle_request"),
    },
    StepInfo {
        title: "Serve requests 25–49",
        explanation: "A slow leak shows as a staircase that never comes back down.",
        rust: "serve",
        c: Some("handle_request"),
    },
    StepInfo {
        title: "Serve requests 50–74",
        explanation: "The outstanding blocks all come from one site.",
        rust: "serve",
        c: Some("handle_request"),
    },
    StepInfo {
        title: "Serve requests 75–99",
        explanation: "Per-site statistics: the leaking site has allocations minus frees left over.",
        rust: "serve",
        c: Some("handle_request"),
    },
];

const INFO: ScenarioInfo = ScenarioInfo {
    id: "leak-hunt",
    title: "Hunting a leak in a request loop",
    lesson: "leak hunt",
    variants: VARIANTS,
    rust_source: include_str!("leak_hunt.rs"),
    c_source: include_str!("../../csrc/scenarios/requests.c"),
    releasers: &[("read_body", "`free` on every path of `handle_request`, the status-400 path included")],
};

impl Scenario for LeakHunt {
    fn info(&self) -> &'static ScenarioInfo {
        &INFO
    }

    fn start(&self, variant: &str, _options: RunOptions) -> Box<dyn ScenarioRun> {
        Box::new(Run { leaky: variant == "leaky" })
    }
}

struct Run {
    leaky: bool,
}

impl ScenarioRun for Run {
    fn steps(&self) -> &[StepInfo] {
        STEPS
    }

    fn run_step(&mut self, index: usize, cx: &mut StepContext<'_>) {
        let first = index as i32 * REQUESTS_PER_STEP;
        let mut statuses = [0_u32; 3];
        let leaky = self.leaky;
        for id in first..first + REQUESTS_PER_STEP {
            let named = name_rust_blocks(c"format! log line");
            // [step:serve]
            let status = handle_request(id, leaky);
            let log_line = format!("request {id}: {status}");
            drop(log_line);
            // [/step]
            drop(named);
            statuses[match status {
                200 => 0,
                400 => 1,
                _ => 2,
            }] += 1;
        }
        cx.note_with(|| format!("{} × 200, {} × 400, {} other", statuses[0], statuses[1], statuses[2]));
    }
}
