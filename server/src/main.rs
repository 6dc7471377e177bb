fn main() -> anyhow::Result<()> {
    server::cli::run()
}
