//! The HTML document and the router.
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api::whoami;
use crate::components::header::Header;
use crate::pages::{
    helpdesk::Helpdesk, it::It, landing::Landing, my_migration::MyMigration, not_found::NotFound,
    request_detail::RequestDetailPage,
};

/// The whole document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::security::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The signed-in person, fetched once per page load and shared by the header and the pages.
pub type ViewerResource = Resource<Result<Option<crate::dto::Viewer>, crate::error::AppError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let viewer: ViewerResource = Resource::new(|| (), |_| whoami());
    provide_context(viewer);

    view! {
        <Stylesheet id="leptos" href="/pkg/fountain.css" />
        <Title text="Fountain — mailbox migration" />
        <Router>
            <Header />
            <main class="page">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("") view=Landing />
                    <Route path=path!("me") view=MyMigration />
                    <Route path=path!("helpdesk") view=Helpdesk />
                    <Route path=path!("helpdesk/requests/:id") view=RequestDetailPage />
                    <Route path=path!("it") view=It />
                </Routes>
            </main>
        </Router>
    }
}
