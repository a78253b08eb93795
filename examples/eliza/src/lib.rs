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
        // Half-duplex over HTTP/1.1: read the whole conversation, then answer each line.
        let mut answers = Vec::new();
        while let Some(req) = requests.next().await {
            answers.push(rules::reply(&req?.sentence));
        }
        for a in answers {
            responses
                .feed(&ConverseResponse {
                    sentence: Cow::Borrowed(&a),
                    ..Default::default()
                })
                .await?;
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
