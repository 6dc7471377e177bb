//! Division IT's look at what Fountain sends: preview any email with a real person's data (text and
//! HTML side by side), send it to themselves as a test, and read every template with where it was
//! loaded from and the placeholders it may use.
use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{email_templates, PreviewEmail, SendTestEmail};
use crate::dto::{EmailKind, EmailPreview, TemplateFile};

#[component]
pub fn EmailTemplates() -> impl IntoView {
    let preview = ServerAction::<PreviewEmail>::new();
    let test = ServerAction::<SendTestEmail>::new();
    let files = Resource::new(|| (), |_| email_templates());
    let options = EmailKind::ALL
        .into_iter()
        .map(|k| view! { <option value=format!("{k:?}")>{k.label()}</option> })
        .collect_view();
    view! {
        <ActionForm action=preview attr:id="preview-form" attr:class="stacked">
            <label for="preview-kind">"Email"</label>
            <select id="preview-kind" name="kind">{options}</select>
            <label for="preview-person">"With the data of (an address; empty: yours)"</label>
            <input id="preview-person" name="person" type="email" />
            <button id="preview-submit" type="submit" class="button primary">"Preview"</button>
        </ActionForm>
        {move || match preview.value().get() {
            None => ().into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            Some(Ok(p)) => view! { <Preview p=p test=test /> }.into_any(),
        }}
        {move || test.value().get().map(|sent| match sent {
            Ok(p) => view! {
                <p class="notice" id="test-sent">
                    {format!("Sent to {} as “[Test] {}”.", p.sent_to.unwrap_or_default(), p.subject)}
                </p>
            }
            .into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <h3>"The templates"</h3>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match files.await {
                    Ok(files) => view! { <Files files=files /> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Preview(p: EmailPreview, test: ServerAction<SendTestEmail>) -> impl IntoView {
    view! {
        <div id="preview">
            <p><strong>"Subject: "</strong><span id="preview-subject">{p.subject.clone()}</span></p>
            <p class="muted">
                {format!("For {}", p.person)}
                {p.sample_data.then_some(" — made-up values stand in where this person has no data yet")}
            </p>
            <div class="side-by-side">
                <pre id="preview-text" class="instructions">{p.text.clone()}</pre>
                // The HTML part as a mail program shows it; sandboxed: nothing in it runs.
                <iframe id="preview-html" title="HTML part" sandbox="" srcdoc=p.html.clone()></iframe>
            </div>
        </div>
        <ActionForm action=test attr:id="test-form">
            <input type="hidden" name="kind" value=format!("{:?}", p.kind) />
            <input type="hidden" name="person" value=p.person.clone() />
            <button id="test-submit" type="submit" class="button">"Send it to me as a test"</button>
        </ActionForm>
    }
}

#[component]
fn Files(files: Vec<TemplateFile>) -> impl IntoView {
    files
        .into_iter()
        .map(|f| {
            let from = f
                .loaded_from
                .clone()
                .unwrap_or_else(|| "built in".to_owned());
            let placeholders = f
                .placeholders
                .iter()
                .map(|(name, holds)| {
                    let must = f.required.contains(name).then_some(" (required)");
                    view! { <li><code>{format!("{{{{ {name} }}}}")}</code>" — "{holds.clone()}{must}</li> }
                })
                .collect_view();
            view! {
                <details class="template" data-file=f.file.clone()>
                    <summary><code>{f.file.clone()}</code>" · " <span class="muted">{from}</span></summary>
                    <ul class="placeholders">{placeholders}</ul>
                    <pre class="instructions">{f.source}</pre>
                </details>
            }
        })
        .collect_view()
}
