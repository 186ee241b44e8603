//! Helpers for the planner's own tests: plan a query over no tables, run it,
//! and read the result as text.

use datafusion::arrow::array::Array;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::SessionContext;

use crate::{Bindings, Environment, PlanError, Planner};

/// Plans every statement of `query`; the first error, if any.
async fn plan(env: &Environment, query: &str) -> Result<Vec<crate::PlannedStatement>, PlanError> {
    let parsed = kql_syntax::parse(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    Planner::with_now(env, 0).plan_query(&parsed, &mut Bindings::default()).await
}

/// Runs `query` and returns its last result: `name:type` per column, and the
/// cells of each row (null as "").
pub(crate) async fn run(query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let env = Environment::new(SessionContext::new());
    let mut planned = plan(&env, query).await.unwrap_or_else(|e| panic!("{query}: {e:?}"));
    let statement = planned.pop().expect("a query statement");
    let header = statement
        .plan
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let ty = kql_functions::types::kql_type_of(f).expect("a KQL type");
            format!("{}:{}", f.name(), ty)
        })
        .collect();
    let df = env.ctx.execute_logical_plan(statement.plan).await.unwrap_or_else(|e| panic!("{query}: {e}"));
    let batches = df.collect().await.unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let row = batch
                .columns()
                .iter()
                .map(
                    |c| if c.is_null(r) { String::new() } else { array_value_to_string(c, r).expect("text") },
                )
                .collect();
            rows.push(row);
        }
    }
    (header, rows)
}

/// The diagnostic code planning `query` fails with.
pub(crate) async fn error_code(query: &str) -> &'static str {
    let env = Environment::new(SessionContext::new());
    match plan(&env, query).await {
        Ok(_) => panic!("{query}: planned without error"),
        Err(e) => e.code_str(),
    }
}
