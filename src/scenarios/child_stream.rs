//! An isolated run's event source: the messages its child streams, applied
//! to the run's model as they arrive. What the model does not keep (each
//! event, for exports; each step's beginning and end; lines that were not
//! messages) waits here as news for the run to take.

use std::sync::mpsc::{Receiver, TryRecvError};

use crate::ffi::Event;
use crate::track::{EventSource, Model};

use super::isolated::ChildMessage;
use super::runner::StepRecord;

/// What came out of the child's stdout, read on a thread of its own.
pub(super) enum Incoming {
    Message(Box<ChildMessage>),
    /// A line that is not JSON: kept for the error report.
    Garbled(String),
    Closed,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Incoming")
    }
}

/// What the run keeps besides the model.
#[derive(Debug)]
pub(super) enum News {
    StepBegun(u32),
    Event(Event),
    StepEnded(StepRecord),
    /// A line from the child that was not a message.
    Garbled(String),
}

#[derive(Debug)]
pub(super) struct ChildStream {
    messages: Receiver<Incoming>,
    closed: bool,
    news: Vec<News>,
}

impl ChildStream {
    pub fn new(messages: Receiver<Incoming>) -> ChildStream {
        ChildStream { messages, closed: false, news: Vec::new() }
    }

    /// The child closed its output: nothing more will come.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// What arrived since the last call, in order.
    pub fn take_news(&mut self) -> Vec<News> {
        std::mem::take(&mut self.news)
    }
}

impl EventSource for ChildStream {
    /// Counts every message applied, steps and anomalies as well as events.
    fn feed(&mut self, model: &mut Model, max: usize) -> usize {
        let mut applied = 0;
        while !self.closed && applied < max {
            match self.messages.try_recv() {
                Ok(Incoming::Message(message)) => {
                    message.apply_to(model);
                    applied += 1;
                    match *message {
                        ChildMessage::StepBegin { index } => self.news.push(News::StepBegun(index)),
                        ChildMessage::Event { event } => self.news.push(News::Event(event)),
                        ChildMessage::StepEnd { index, summary, notes, .. } => {
                            self.news.push(News::StepEnded(StepRecord { index, summary, notes, calls: Vec::new() }));
                        }
                        ChildMessage::Anomaly { .. } | ChildMessage::Done { .. } | ChildMessage::Stacks { .. } => {}
                    }
                }
                Ok(Incoming::Garbled(line)) => self.news.push(News::Garbled(line)),
                Ok(Incoming::Closed) | Err(TryRecvError::Disconnected) => self.closed = true,
                Err(TryRecvError::Empty) => break,
            }
        }
        applied
    }
}
