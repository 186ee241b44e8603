//! A session: loaded tables, `let`s that persist between queries, and the
//! pipeline from query text to result tables.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::SessionConfig;
use datafusion::prelude::SessionContext;
use futures::future::BoxFuture;
use kql_data::{DataError, FetchOptions, Flavor, LoadOptions, LoadedTable, Redirects, Warning};
use kql_planner::{Bindings, Environment, ExternalDataProvider, ExternalRequest, Planner, TableRef};
use kql_syntax::ast::ScalarType;

use crate::error::QueryError;
use crate::output::ResultSet;

/// Options that shape a session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Force the Defender or Sentinel layout for every loaded file.
    pub flavor: Option<Flavor>,
    /// `--externaldata URL=TARGET` redirects, which win over mapping files.
    pub redirects: Redirects,
    /// Timeouts and size caps for `externaldata`.
    pub fetch: FetchOptions,
    /// What `now()` and `ago()` take as the current time (nanoseconds since
    /// the Unix epoch), for replaying a hunt over old exports; `None` is the
    /// clock.
    pub now: Option<i64>,
}

/// Tables, bindings and a DataFusion context. A clone shares the tables and
/// the context, and has its own copy of the `let`s.
#[derive(Clone)]
pub struct Session {
    env: Environment,
    bindings: Bindings,
    options: SessionOptions,
    /// Redirects from mapping files found beside loaded data.
    file_redirects: Redirects,
    loaded: Vec<LoadedTable>,
}

impl Session {
    /// A session with no tables.
    pub fn new(options: SessionOptions) -> Self {
        let config = SessionConfig::new()
            .with_information_schema(false)
            // Our names are case-exact; never let DataFusion fold them.
            .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
            // Hash joins collect their build side once and stream the probe
            // side in place. The planner puts the smaller side on the build
            // side, so repartitioning the (large) probe side would only cost.
            .set_bool("datafusion.optimizer.repartition_joins", false);
        let ctx = SessionContext::new_with_config(config);
        // These two rules move struct field accesses towards the scans. We
        // build struct columns only for fused extractjson, where the rules gain
        // nothing, and they fail on plans that rename qualified columns to the
        // same unqualified names (as every scan of ours does).
        ctx.remove_optimizer_rule("extract_leaf_expressions");
        ctx.remove_optimizer_rule("push_down_leaf_projections");
        let env = Environment::new(ctx);
        let mut session = Session {
            env,
            bindings: Bindings::default(),
            options,
            file_redirects: Redirects::default(),
            loaded: Vec::new(),
        };
        session.refresh_fetcher();
        session
    }

    fn refresh_fetcher(&mut self) {
        let mut redirects = self.file_redirects.clone();
        redirects.merge(self.options.redirects.clone());
        self.env.external = Some(Arc::new(Fetcher { redirects, options: self.options.fetch.clone() }));
    }

    /// Loads every export in `dir`; each file becomes a table named after
    /// its stem. A mapping file in `dir` adds `externaldata` redirects.
    pub fn load_dir(&mut self, dir: &Path) -> Result<Vec<Warning>, DataError> {
        let opts = LoadOptions { flavor: self.options.flavor };
        let loaded = kql_data::load_dir(dir, &opts)?;
        // Two folders with a table of the same name: refuse rather than let
        // the second silently hide the first one's rows.
        for table in &loaded.tables {
            if let Some(existing) = self.loaded.iter().find(|t| t.name == table.name && t.path != table.path)
            {
                return Err(DataError::DuplicateTable {
                    table: table.name.clone(),
                    first: existing.path.clone(),
                    second: table.path.clone(),
                });
            }
        }
        for table in loaded.tables {
            self.add_table(table);
        }
        self.file_redirects.merge(loaded.redirects);
        self.refresh_fetcher();
        Ok(loaded.warnings)
    }

    /// Loads one file as table `name` (default: the file's stem), replacing
    /// a table of that name: this is the explicit form (`.load PATH as NAME`).
    pub fn load_file(&mut self, path: &Path, name: Option<&str>) -> Result<Vec<Warning>, DataError> {
        let opts = LoadOptions { flavor: self.options.flavor };
        let (table, warnings) = kql_data::open_table(path, name, &opts)?;
        self.add_table(table);
        Ok(warnings)
    }

    fn add_table(&mut self, table: LoadedTable) {
        let size = std::fs::metadata(&table.path).ok().map(|m| m.len());
        self.env
            .tables
            .insert(table.name.clone(), TableRef { provider: table.provider.clone(), size_hint: size });
        self.loaded.retain(|t| t.name != table.name);
        self.loaded.push(table);
    }

    /// The loaded tables with their columns and KQL types.
    pub fn tables(&self) -> Vec<(String, Vec<(String, ScalarType)>)> {
        let mut out: Vec<_> = self
            .env
            .tables
            .iter()
            .map(|(name, t)| {
                let cols = t
                    .provider
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| {
                        let ty = kql_functions::types::kql_type_of(f).unwrap_or(ScalarType::String);
                        (f.name().clone(), ty)
                    })
                    .collect();
                (name.clone(), cols)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The names bound by `let` so far in this session.
    pub fn let_names(&self) -> Vec<String> {
        self.bindings.names().into_iter().map(String::from).collect()
    }

    /// Parses, plans and runs `text`; one result per query statement.
    pub async fn run(&mut self, text: &str) -> Result<Vec<ResultSet>, QueryError> {
        let query = kql_syntax::parse(text).map_err(QueryError::Syntax)?;
        // Plan against a copy of the bindings: a failed query leaves the
        // session's `let`s as they were.
        let mut bindings = self.bindings.clone();
        let planned = self.planner().plan_query(&query, &mut bindings).await.map_err(QueryError::Plan)?;
        let mut results = Vec::new();
        for statement in planned {
            let columns = statement
                .plan
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    (f.name().clone(), kql_functions::types::kql_type_of(f).unwrap_or(ScalarType::String))
                })
                .collect();
            let batches = self.execute(statement.plan, statement.span).await?;
            results.push(ResultSet { columns, batches });
        }
        self.bindings = bindings;
        Ok(results)
    }

    fn planner(&self) -> Planner<'_> {
        match self.options.now {
            Some(now) => Planner::with_now(&self.env, now),
            None => Planner::new(&self.env),
        }
    }

    /// The optimized logical and physical plans of each query statement;
    /// with `analyze`, the physical plan is run and annotated with its
    /// metrics (rows, time, memory per operator).
    pub async fn explain(&mut self, text: &str, analyze: bool) -> Result<Vec<String>, QueryError> {
        let query = kql_syntax::parse(text).map_err(QueryError::Syntax)?;
        let mut bindings = self.bindings.clone();
        let planned = self.planner().plan_query(&query, &mut bindings).await.map_err(QueryError::Plan)?;
        let mut out = Vec::new();
        for statement in planned {
            let df = self
                .env
                .ctx
                .execute_logical_plan(statement.plan)
                .await
                .map_err(|e| QueryError::exec(e, statement.span))?;
            let optimized =
                df.clone().into_optimized_plan().map_err(|e| QueryError::exec(e, statement.span))?;
            let physical =
                df.create_physical_plan().await.map_err(|e| QueryError::exec(e, statement.span))?;
            if analyze {
                let task = self.env.ctx.task_ctx();
                datafusion::physical_plan::collect(physical.clone(), task)
                    .await
                    .map_err(|e| QueryError::exec(e, statement.span))?;
            }
            let physical = if analyze {
                datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(physical.as_ref())
                    .indent(true)
                    .to_string()
            } else {
                datafusion::physical_plan::displayable(physical.as_ref()).indent(true).to_string()
            };
            out.push(format!("{}\n\n{physical}", optimized.display_indent_schema()));
        }
        Ok(out)
    }

    async fn execute(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        span: kql_syntax::Span,
    ) -> Result<Vec<RecordBatch>, QueryError> {
        let df = self.env.ctx.execute_logical_plan(plan).await.map_err(|e| QueryError::exec(e, span))?;
        df.collect().await.map_err(|e| QueryError::exec(e, span))
    }
}

/// Reads `externaldata` through redirects, over HTTP or from files.
struct Fetcher {
    redirects: Redirects,
    options: FetchOptions,
}

impl ExternalDataProvider for Fetcher {
    fn fetch<'a>(
        &'a self,
        request: &'a ExternalRequest,
    ) -> BoxFuture<'a, Result<Vec<RecordBatch>, Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async move {
            let req = kql_data::ExternalRequest {
                uris: request.uris.clone(),
                columns: request.columns.clone(),
                properties: request.properties.iter().map(|(k, v)| (k.clone(), property_value(v))).collect(),
            };
            kql_data::fetch_external(&req, &self.redirects, &self.options)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

/// The planner hands `with (...)` values over as text; give them back their
/// literal types.
fn property_value(text: &str) -> kql_data::PropertyValue {
    if text.eq_ignore_ascii_case("true") {
        kql_data::PropertyValue::Bool(true)
    } else if text.eq_ignore_ascii_case("false") {
        kql_data::PropertyValue::Bool(false)
    } else if let Ok(n) = text.parse::<i64>() {
        kql_data::PropertyValue::Long(n)
    } else {
        kql_data::PropertyValue::String(text.to_string())
    }
}
