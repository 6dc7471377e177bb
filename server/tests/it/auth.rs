//! Sign-in, sessions and role gating, end to end: the portal, a real OpenID provider
//! (oidc-provider) and a real database (SQLite; PostgreSQL for the scale-out path).

use crate::support::{location, Backend, TestApp};
use sea_orm::{ConnectionTrait, EntityTrait};
use server::db::entity::{session, user};

async fn session_count(app: &TestApp) -> usize {
    session::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .len()
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

async fn signs_in_and_lands_on_my_migration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client, landing) = app.sign_in("alice", "alice-pass").await;
    assert_eq!(landing, app.url("/me"));

    let page = client.get(app.url("/me")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Alice Archer"), "{html}");
    assert!(html.contains("alice.archer@example.org"));

    let users = user::Entity::find().all(&app.db().await).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].subject, "alice");
    assert_eq!(users[0].display_name, "Alice Archer");
    assert_eq!(users[0].roles, "user");

    // Signing in again updates the same person.
    app.sign_in("alice", "alice-pass").await;
    assert_eq!(
        user::Entity::find()
            .all(&app.db().await)
            .await
            .unwrap()
            .len(),
        1
    );

    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap()["database"],
        "ok"
    );
}

#[tokio::test]
async fn sign_in_with_sqlite() {
    signs_in_and_lands_on_my_migration(Backend::Sqlite).await;
}

#[tokio::test]
async fn sign_in_with_postgres() {
    signs_in_and_lands_on_my_migration(Backend::Postgres).await;
}

#[tokio::test]
async fn session_cookie_is_locked_down() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_client, resp) = app.complete_sign_in(None, "alice", "alice-pass").await;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("fountain_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain-http test site must not set Secure: {cookie}"
    );
}

#[tokio::test]
async fn areas_are_gated_by_role() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let anonymous = app.client();
    for path in ["/me", "/helpdesk", "/it"] {
        let resp = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 302, "{path}");
        assert_eq!(
            location(&resp).unwrap(),
            app.url(&format!("/auth/login?return_to=%2F{}", &path[1..]))
        );
    }
    assert_eq!(status(&anonymous, app.url("/")).await, 200);

    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    let (hana, hana_home) = app.sign_in("hana", "hana-pass").await;
    let (ivan, _) = app.sign_in("ivan", "ivan-pass").await;
    assert_eq!(hana_home, app.url("/me"));

    assert_eq!(status(&alice, app.url("/me")).await, 200);
    assert_eq!(status(&alice, app.url("/helpdesk")).await, 403);
    assert_eq!(status(&alice, app.url("/it")).await, 403);
    assert_eq!(status(&hana, app.url("/helpdesk")).await, 200);
    assert_eq!(status(&hana, app.url("/it")).await, 403);
    assert_eq!(status(&ivan, app.url("/it")).await, 200);
    assert_eq!(status(&ivan, app.url("/helpdesk")).await, 200);

    let forbidden = alice
        .get(app.url("/it"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        forbidden.contains("Not available to your account"),
        "{forbidden}"
    );
    assert!(forbidden.contains("Division IT"), "{forbidden}");

    // The IT page lists the people with their roles, rendered on the server.
    let it_page = ivan
        .get(app.url("/it"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        it_page.contains("Hana Holt") && it_page.contains("Helpdesk"),
        "{it_page}"
    );

    // Server functions check the role themselves, whatever page called them.
    assert_eq!(
        app.server_fn(&anonymous, "people", &[("filter", "")])
            .await
            .status(),
        401
    );
    let refused = app.server_fn(&alice, "people", &[("filter", "")]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Helpdesk"));
    let found = app
        .server_fn(&hana, "people", &[("filter", "ARCHER")])
        .await;
    assert_eq!(found.status(), 200);
    let people: serde_json::Value = found.json().await.unwrap();
    assert_eq!(people.as_array().unwrap().len(), 1, "{people}");
    assert_eq!(people[0]["email"], "alice.archer@example.org");
    // LIKE wildcards are literal.
    let none: serde_json::Value = app
        .server_fn(&ivan, "people", &[("filter", "%")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");

    let who: serde_json::Value = app
        .server_fn(&hana, "whoami", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(who["roles"], serde_json::json!(["User", "Helpdesk"]));
    let nobody: serde_json::Value = app
        .server_fn(&anonymous, "whoami", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(nobody.is_null());
}

#[tokio::test]
async fn people_without_a_role_are_refused_clearly() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_client, resp) = app.complete_sign_in(None, "olga", "olga-pass").await;
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().get("set-cookie").is_none());
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("not enabled for Fountain"));
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn only_verified_unique_addresses_of_the_organisation_get_an_account() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // alice@other.example would reach old mailbox "alice" through {localpart}.
    for (user, password, says) in [
        (
            "mallory",
            "mallory-pass",
            "is not in one of the organisation",
        ),
        ("eve", "eve-pass", "does not say it verified your email"),
    ] {
        let (_client, resp) = app.complete_sign_in(None, user, password).await;
        assert_eq!(resp.status(), 403, "{user}");
        let body = resp.text().await.unwrap();
        assert!(body.contains(says), "{user}: {body}");
    }
    assert_eq!(session_count(&app).await, 0);
    // Alice signs in; another account with her address (another case) is not let in as her.
    app.sign_in("alice", "alice-pass").await;
    let (_client, resp) = app.complete_sign_in(None, "alice2", "alice2-pass").await;
    assert_eq!(resp.status(), 403);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("already uses your email"));
    let people = user::Entity::find().all(&app.db().await).await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
    assert!(!people[0].issuer.is_empty(), "the issuer is recorded");
    // A subject is unique per issuer: an account made by another provider is not alice's.
    app.db()
        .await
        .execute_unprepared("UPDATE users SET issuer = 'https://previous-idp.example.org'")
        .await
        .unwrap();
    let (_client, resp) = app.complete_sign_in(None, "alice", "alice-pass").await;
    assert_eq!(resp.status(), 403);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("another sign-in service"));
}

#[tokio::test]
async fn wrong_password_stays_at_the_provider() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = app.client();
    let form = app.begin_sign_in(&client, None).await;
    let resp = app
        .submit_login(&client, &form, "alice", "not-her-password")
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password"));
}

#[tokio::test]
async fn return_to_brings_you_back() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_client, resp) = app
        .complete_sign_in(Some("/helpdesk?q=bob"), "hana", "hana-pass")
        .await;
    assert_eq!(location(&resp).unwrap(), app.url("/helpdesk?q=bob"));

    // An off-site return_to is ignored (a new browser: the provider would otherwise skip its form).
    let (_client, resp) = app
        .complete_sign_in(Some("https://evil.example/"), "hana", "hana-pass")
        .await;
    assert_eq!(location(&resp).unwrap(), app.url("/me"));
}

#[tokio::test]
async fn unknown_or_replayed_state_is_rejected() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = app.client();
    let form = app.begin_sign_in(&client, None).await;
    let to_callback = app
        .submit_login(&client, &form, "alice", "alice-pass")
        .await;
    let callback = location(&to_callback).unwrap();

    let mut forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged.query_pairs().into_owned().collect();
    forged.query_pairs_mut().clear();
    for (k, v) in &pairs {
        forged
            .query_pairs_mut()
            .append_pair(k, if k == "state" { "forged-state" } else { v });
    }
    let resp = client.get(forged.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("expired or was already used"));

    assert_eq!(client.get(&callback).send().await.unwrap().status(), 302);
    // The same callback a second time (a replay) is refused.
    let replay = app.client().get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
}

/// Starts a sign-in with a client that keeps no cookies: the sealed sign-in cookie it was given, and
/// the provider's authorize URL.
async fn start_sign_in_by_hand(app: &TestApp) -> (String, String) {
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = plain.get(app.url("/auth/login")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let set_cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("fountain_signin="))
        .expect("the sign-in cookie");
    for attr in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/auth/callback",
        "Max-Age=600",
    ] {
        assert!(set_cookie.contains(attr), "{set_cookie} lacks {attr}");
    }
    let value = set_cookie["fountain_signin=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (value, location(&resp).unwrap())
}

/// Signs in at the provider (in a browser of its own) from an authorize URL; Fountain's callback URL.
async fn callback_url_for(app: &TestApp, authorize: &str, user: &str, password: &str) -> String {
    let browser = app.client();
    let (form, _) =
        crate::support::follow(&browser, browser.get(authorize).send().await.unwrap()).await;
    let to_callback = app.submit_login(&browser, &form, user, password).await;
    location(&to_callback).expect("redirect to the callback")
}

fn query_param(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {url}"))
        .1
        .into_owned()
}

async fn callback_with_cookie(url: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .header("cookie", format!("fountain_signin={cookie}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn nonce_mismatch_is_rejected() {
    use server::auth::attempt::SignInAttempt;
    use server::secret::SecretBox;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (cookie, authorize) = start_sign_in_by_hand(&app).await;
    let callback = callback_url_for(&app, &authorize, "alice", "alice-pass").await;
    // Someone who knew the key swapped the nonce this sign-in expects: the ID token no longer matches.
    let key = SecretBox::derived("sign-in-cookie", crate::support::CLIENT_SECRET);
    let state = query_param(&callback, "state");
    let mut attempt = SignInAttempt::open(Some(&cookie), Some(&state), &key, server::db::now())
        .expect("the cookie opens with the portal's key");
    attempt.nonce = "not-the-nonce-we-sent".into();
    let resp = callback_with_cookie(&callback, &attempt.seal(&key)).await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains("could not be verified"), "{body}");
    assert!(body.to_lowercase().contains("nonce"), "{body}");
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn a_callback_from_another_browser_signs_nobody_in() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // The attacker signs in as themselves and sends the victim the link Fountain's callback would get.
    let (_, authorize) = start_sign_in_by_hand(&app).await;
    let callback = callback_url_for(&app, &authorize, "bob", "bob-pass").await;
    let victim = app.client();
    let resp = victim.get(&callback).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains("not started in this browser"), "{body}");
    assert_eq!(session_count(&app).await, 0, "nobody was signed in");
    // A victim with a sign-in of their own in flight is not signed in as the attacker either.
    let (own_cookie, _) = start_sign_in_by_hand(&app).await;
    let resp = callback_with_cookie(&callback, &own_cookie).await;
    assert_eq!(resp.status(), 400);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("expired or was already used"));
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn the_providers_error_text_is_not_shown() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (cookie, authorize) = start_sign_in_by_hand(&app).await;
    let state = query_param(&authorize, "state");
    let mut callback = url::Url::parse(&app.url("/auth/callback")).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("error", "access_denied")
        .append_pair(
            "error_description",
            "Call +1-555-EVIL to unlock your account",
        );
    let resp = callback_with_cookie(callback.as_str(), &cookie).await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("access_denied") && !body.contains("EVIL"),
        "{body}"
    );
}

#[tokio::test]
async fn tampered_cookie_is_not_a_session() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (client, _) = app.sign_in("alice", "alice-pass").await;
    assert_eq!(status(&client, app.url("/me")).await, 200);
    let token_hash = session::Entity::find()
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap()
        .token_hash;

    let forger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for value in [
        token_hash.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x",
    ] {
        let resp = forger
            .get(app.url("/me"))
            .header("cookie", format!("fountain_session={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302, "cookie {value:?} opened /me");
    }
}

#[tokio::test]
async fn expired_session_is_rejected() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (client, _) = app.sign_in("alice", "alice-pass").await;
    assert_eq!(status(&client, app.url("/me")).await, 200);
    app.db()
        .await
        .execute_unprepared("UPDATE sessions SET expires_at = expires_at - 86400 * 365")
        .await
        .unwrap();
    assert_eq!(status(&client, app.url("/me")).await, 302);
    let who: serde_json::Value = app
        .server_fn(&client, "whoami", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(who.is_null());
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (client, _) = app.sign_in("alice", "alice-pass").await;
    let resp = client
        .post(app.url("/auth/logout"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let cleared = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cleared.starts_with("fountain_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(session_count(&app).await, 0);
    assert_eq!(status(&client, app.url("/me")).await, 302);
}

#[tokio::test]
async fn idle_sessions_end_and_roles_are_read_again() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (alice, _) = app.sign_in("alice", "alice-pass").await;
    assert_eq!(status(&alice, app.url("/me")).await, 200);
    // Three hours without a request: past the idle timeout (120 minutes by default).
    app.db()
        .await
        .execute_unprepared(
            "UPDATE sessions SET last_seen_at = last_seen_at - 3 * 3600, created_at = created_at - 3 * 3600",
        )
        .await
        .unwrap();
    assert_eq!(status(&alice, app.url("/me")).await, 302);
    assert_eq!(session_count(&app).await, 0, "the idle session is gone");

    // Roles read five hours ago (past roles_max_age_minutes, 240 by default) are not trusted, even if
    // the session is in use: the person goes through the provider again, which reads them anew.
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    app.db()
        .await
        .execute_unprepared(
            "UPDATE sessions SET roles = 'user,helpdesk,it', created_at = created_at - 5 * 3600",
        )
        .await
        .unwrap();
    assert_eq!(
        status(&hana, app.url("/it")).await,
        302,
        "stale roles grant nothing"
    );
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    assert_eq!(
        status(&hana, app.url("/it")).await,
        403,
        "the roles were read again"
    );
    assert_eq!(status(&hana, app.url("/helpdesk")).await, 200);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_person() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (laptop, _) = app.sign_in("alice", "alice-pass").await;
    let (phone, _) = app.sign_in("alice", "alice-pass").await;
    let (bob, _) = app.sign_in("bob", "bob-pass").await;
    let resp = phone
        .post(app.url("/auth/logout-everywhere"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(status(&laptop, app.url("/me")).await, 302);
    assert_eq!(status(&phone, app.url("/me")).await, 302);
    assert_eq!(
        status(&bob, app.url("/me")).await,
        200,
        "other people stay signed in"
    );
    assert_eq!(session_count(&app).await, 1);
    // From another site, it is refused like every cross-site post.
    let (laptop, _) = app.sign_in("alice", "alice-pass").await;
    let forged = laptop
        .post(app.url("/auth/logout-everywhere"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(status(&laptop, app.url("/me")).await, 200);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (hana, _) = app.sign_in("hana", "hana-pass").await;
    let hostile = hana
        .post(app.url("/api/people"))
        .header("origin", "https://evil.example")
        .form(&[("filter", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 403);
    let hostile_logout = hana
        .post(app.url("/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(hostile_logout.status(), 403);
    assert_eq!(session_count(&app).await, 1);

    let same_site = hana
        .post(app.url("/api/people"))
        .header("origin", &app.address)
        .form(&[("filter", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 200);
}

#[tokio::test]
async fn pages_and_api_carry_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (client, _) = app.sign_in("alice", "alice-pass").await;
    let page = client.get(app.url("/me")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |resp: &reqwest::Response, name: &str| {
        resp.headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = header(&page, "content-security-policy");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "no HSTS on plain http"
    );
    let html = page.text().await.unwrap();
    // The page's policy names this response's nonce, and the hydration script carries it.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"));
    assert!(nonce.len() >= 16, "{csp}");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // Every inline script carries it; no inline style attribute the policy would block.
    for script in html.split("<script").skip(1) {
        let open_tag = script.split('>').next().unwrap();
        assert!(
            open_tag.contains("nonce="),
            "a script without the nonce: <script{open_tag}>"
        );
    }
    assert!(!html.contains(" style="), "inline style in {html}");
    // A second page gets another nonce.
    let again = client.get(app.url("/me")).send().await.unwrap();
    assert_ne!(header(&again, "content-security-policy"), csp);

    let api = app.server_fn(&client, "whoami", &[]).await;
    assert_eq!(api.status(), 200);
    assert!(header(&api, "content-security-policy").starts_with("default-src 'none'"));
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    // Redirects to sign-in carry them too.
    let redirect = app.client().get(app.url("/it")).send().await.unwrap();
    assert_eq!(redirect.status(), 302);
    assert!(redirect.headers().get("x-frame-options").is_some());
}
