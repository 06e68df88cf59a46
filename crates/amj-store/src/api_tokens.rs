//! API tokens let scripts outside Jira call `/api/v1` for one site. The token is random, shown
//! once, and only its SHA-256 is stored: a leaked database cannot be replayed against the API.

use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use crate::crypto::sha256_hex;
use amj_domain::ids::TenantId;
use base64::Engine;
use serde::Serialize;

/// Every token starts with this, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "amj_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: i64,
    #[serde(skip)]
    pub tenant_id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart in the admin list.
    #[sqlx(rename = "token_prefix")]
    pub prefix: String,
    pub read_only: bool,
    pub created_by: String,
    /// Milliseconds since the Unix epoch, as are the other times of a token.
    pub created_at: i64,
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    #[schema(required = true)]
    pub revoked_at: Option<i64>,
}

/// A new token and its secret, which exists only in this value and the one response that shows it.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

const COLUMNS: &str = "id, tenant_id, name, token_prefix, read_only, created_by, created_at, last_used_at, revoked_at";

fn new_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| StoreError::unavailable("no randomness available"))?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

impl Store {
    pub async fn create_api_token(
        &self,
        tenant: TenantId,
        name: &str,
        read_only: bool,
        created_by: &str,
    ) -> Result<IssuedToken, StoreError> {
        let secret = new_secret()?;
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let now = now_millis();
        let sql = Sql::new(&format!(
            "INSERT INTO api_token (tenant_id, name, token_sha256, token_prefix, read_only, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .arg(tenant.0)
        .arg(name)
        .arg(sha256_hex(secret.as_bytes()))
        .arg(prefix)
        .arg(read_only)
        .arg(created_by)
        .arg(now);
        let token: ApiToken = self.db().fetch_one(&sql).await?;
        Ok(IssuedToken { token, secret })
    }

    pub async fn list_api_tokens(&self, tenant: TenantId) -> Result<Vec<ApiToken>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM api_token WHERE tenant_id = $1 ORDER BY id"
        ))
        .arg(tenant.0);
        self.db().fetch_all(&sql).await
    }

    /// Revokes a token of this site; `false` if the site has no such live token.
    pub async fn revoke_api_token(&self, tenant: TenantId, id: i64) -> Result<bool, StoreError> {
        let now = now_millis();
        let sql = Sql::new(
            "UPDATE api_token SET revoked_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .arg(tenant.0)
        .arg(id)
        .arg(now);
        let done = self.db().execute(&sql).await?;
        Ok(done == 1)
    }

    /// The live token with this secret, if any. Marks it used at most once a minute, so a busy
    /// script does not turn every read into a write.
    pub async fn find_api_token(&self, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = sha256_hex(secret.as_bytes());
        let sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM api_token WHERE token_sha256 = $1 AND revoked_at IS NULL"
        ))
        .arg(hash);
        let token: Option<ApiToken> = self.db().fetch_optional(&sql).await?;
        if let Some(token) = &token {
            let now = now_millis();
            if token.last_used_at.is_none_or(|at| now - at > 60_000) {
                let touch = Sql::new(
                    "UPDATE api_token SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                )
                .arg(token.tenant_id)
                .arg(token.id)
                .arg(now);
                self.db().execute(&touch).await?;
            }
        }
        Ok(token)
    }
}
