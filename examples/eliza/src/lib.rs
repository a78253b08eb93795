//! The Eliza demo service: `connectrpc.eliza.v1.ElizaService` answered by a few ELIZA-style
//! rules that reflect the user's words back as questions.

include!(concat!(env!("OUT_DIR"), "/_include.rs"));

pub mod rules;

use std::borrow::Cow;

use connect_engine::ConnectError;
use connect_engine::server::{Request, RequestStream, Response, ResponseStream};
use connectrpc::eliza::v1::{
    ConverseRequest, ConverseResponse, ElizaService, IntroduceRequest, IntroduceResponse,
    SayRequest, SayResponse,
};

/// The Eliza service.
#[derive(Clone, Copy, Debug, Default)]
pub struct Eliza;

impl ElizaService for Eliza {
    async fn say<'a>(
        &self,
        request: Request<'a, SayRequest<'a>>,
    ) -> Result<Response<SayResponse<'a>>, ConnectError> {
        let sentence = rules::reply(&request.message.sentence);
        Ok(Response::new(SayResponse {
            sentence: Cow::Owned(sentence),
            ..Default::default()
        }))
    }

    async fn converse(
        &self,
        mut requests: RequestStream<'_, ConverseRequest<'static>>,
        responses: &mut ResponseStream<'_, ConverseResponse<'static>>,
    ) -> Result<(), ConnectError> {
        // Half-duplex over HTTP/1.1: read the whole conversation, then answer each line. What
        // is kept meanwhile is the sentences themselves (each borrows the request buffer only
        // until the next one arrives), in one buffer, with repeats of a sentence counted
        // rather than stored: never more than the request's own size.
        let mut said = Conversation::default();
        while let Some(req) = requests.next().await {
            said.push(&req?.sentence);
        }
        for (sentence, times) in said.runs() {
            let answer = rules::reply(sentence);
            let message = ConverseResponse {
                sentence: Cow::Borrowed(&answer),
                ..Default::default()
            };
            for _ in 0..times {
                responses.feed(&message).await?;
            }
        }
        responses.flush().await
    }

    async fn introduce<'a>(
        &self,
        request: Request<'a, IntroduceRequest<'a>>,
        responses: &mut ResponseStream<'_, IntroduceResponse<'static>>,
    ) -> Result<(), ConnectError> {
        for line in rules::introduction(&request.message.name) {
            responses
                .send(&IntroduceResponse {
                    sentence: Cow::Borrowed(&line),
                    ..Default::default()
                })
                .await?;
        }
        Ok(())
    }
}

/// The sentences of a conversation in arrival order, stored compactly: their text in one
/// buffer, and runs of the same sentence said again and again as one entry with a count.
#[derive(Debug, Default)]
pub struct Conversation {
    text: String,
    /// (end of the sentence in `text`, how many times in a row it was said).
    runs: Vec<(usize, u64)>,
}

impl Conversation {
    /// Adds the next sentence.
    pub fn push(&mut self, sentence: &str) {
        let n = self.runs.len();
        if n > 0 {
            let start = if n > 1 { self.runs[n - 2].0 } else { 0 };
            if self.text[start..self.runs[n - 1].0] == *sentence {
                self.runs[n - 1].1 += 1;
                return;
            }
        }
        self.text.push_str(sentence);
        self.runs.push((self.text.len(), 1));
    }

    /// Each distinct run: the sentence and how many times in a row it was said.
    pub fn runs(&self) -> impl Iterator<Item = (&str, u64)> {
        let mut start = 0;
        self.runs.iter().map(move |&(end, times)| {
            let s = &self.text[start..end];
            start = end;
            (s, times)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Conversation;

    #[test]
    fn conversations_keep_order_and_count_repeats() {
        let mut c = Conversation::default();
        for s in ["", "", "a", "a", "b", "", "a", "ab", "ab", "ab"] {
            c.push(s);
        }
        let runs: Vec<_> = c.runs().collect();
        assert_eq!(
            runs,
            [("", 2), ("a", 2), ("b", 1), ("", 1), ("a", 1), ("ab", 3)]
        );
        assert_eq!(c.text, "abaab");
        let mut many = Conversation::default();
        for _ in 0..1_000_000 {
            many.push("");
        }
        assert_eq!(many.runs().collect::<Vec<_>>(), [("", 1_000_000)]);
        assert!(many.runs.capacity() <= 4);
    }
}
