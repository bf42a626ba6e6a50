//! The default profile is today's contract: none of the other profiles' routes or counters.

use cxone_emulator::{Config, Profile};
use reqwest::Method;

use crate::common::{error_codes, Emu};

#[tokio::test]
async fn the_default_profile_is_the_seed() {
    assert_eq!(Config::default().profile, Profile::CxoneSeed);
    let emu = Emu::start().await;
    for (method, path) in [
        (Method::POST, "/oauth/token"),
        (Method::POST, "/auth/token"),
        (Method::GET, "/.well-known/openid-configuration"),
        (Method::GET, "/.well-known/cxone-configuration?tenantId=x"),
        (Method::GET, "/api/v2/integrations/actions"),
        (Method::POST, "/_emulator/revoke-refresh-tokens"),
        (Method::GET, "/_emulator/signin-faults"),
    ] {
        let response = emu.send(method, path, None, None).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(error_codes(response).await, ["NOT_FOUND"], "{path}");
    }
    let stats = emu.stats().await;
    assert!(stats.get("signin").is_none(), "{stats}");
    let token = emu.token().await;
    assert_eq!(
        emu.definition("lookup-customer", &token).await.status(),
        200
    );
}
