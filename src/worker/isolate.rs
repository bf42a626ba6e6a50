//! One driver client per isolate, kept between requests so its definition cache and in-memory
//! token survive (a warm sync invoke costs one upstream request). It is rebuilt when the settings'
//! fingerprint changes.

use std::cell::RefCell;
use std::rc::Rc;

use crate::core::cxone_signin::CxoneSession;
use crate::core::proxy::settings::ProxySettings;
use crate::core::token::TokenRecord;
use crate::driver::Client;
use crate::transport::fetch::FetchTransport;
use crate::transport::js_runtime::{random_seed, JsRuntime};

/// The driver client of this proxy.
pub type ProxyClient = Client<FetchTransport, JsRuntime>;

/// What the isolate keeps between requests.
pub struct Isolate {
    /// The settings the client was built from.
    pub settings: ProxySettings,
    /// The client.
    pub client: ProxyClient,
    /// The token last read from or written to KV (it is written only when it differs).
    pub stored_token: RefCell<Option<TokenRecord>>,
    /// cxone: the session last read from or written to KV (likewise).
    pub stored_session: RefCell<Option<CxoneSession>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Isolate>>> = const { RefCell::new(None) };
}

/// The isolate's client for `settings`: the current one when the settings are unchanged.
pub fn for_settings(settings: ProxySettings) -> Rc<Isolate> {
    CURRENT.with(|current| {
        if let Some(isolate) = current.borrow().as_ref() {
            if isolate.settings.fingerprint == settings.fingerprint {
                return Rc::clone(isolate);
            }
        }
        let client = Client::new(settings.client.clone(), FetchTransport::new(), JsRuntime::new(), random_seed());
        let isolate = Rc::new(Isolate { settings, client, stored_token: RefCell::new(None), stored_session: RefCell::new(None) });
        *current.borrow_mut() = Some(Rc::clone(&isolate));
        isolate
    })
}
