//! Keyset pagination for the console's lists. A page ends with an opaque cursor naming its
//! last row by (time, id); the next page is the rows after it in the list's order, so rows
//! written meanwhile neither shift nor repeat what follows, and no offset is ever scanned.

use api::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use time::OffsetDateTime;

use crate::error::{ApiError, ApiResult};
use crate::i18n::{Text, msg};

/// The longest search text, in characters.
const MAX_SEARCH_CHARS: usize = 200;

/// Where a page starts and how long it is, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Key>,
}

/// The last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub at: OffsetDateTime,
    pub id: String,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidCursor, msg(Text::PagingInvalidCursor))
}

impl PageRequest {
    pub fn new(limit: Option<u64>, cursor: Option<&str>) -> ApiResult<Self> {
        let max = u64::from(api::PAGE_LIMIT_MAX);
        let limit = limit.unwrap_or(api::PAGE_LIMIT_DEFAULT.into());
        if !(1..=max).contains(&limit) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidLimit,
                msg(Text::PagingInvalidLimit).with("max", max),
            ));
        }
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(cursor) => Some(Key::decode(cursor).ok_or_else(bad_cursor)?),
            None => None,
        };
        Ok(Self { limit, after })
    }

    /// The cursor's id as the list's id type.
    pub fn after_id<T: std::str::FromStr>(&self) -> ApiResult<Option<(OffsetDateTime, T)>> {
        self.after
            .as_ref()
            .map(|key| {
                key.id
                    .parse::<T>()
                    .map(|id| (key.at, id))
                    .map_err(|_| bad_cursor())
            })
            .transpose()
    }
}

impl Key {
    /// `<unix nanoseconds>.<id>`, base64url: opaque to clients, and no database round trip.
    pub fn encode(at: OffsetDateTime, id: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{id}", at.unix_timestamp_nanos()))
    }

    fn decode(cursor: &str) -> Option<Self> {
        if cursor.len() > 200 {
            return None;
        }
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let (nanos, id) = text.split_once('.')?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
        (!id.is_empty()).then(|| Key {
            at,
            id: id.to_string(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    NewestFirst,
    OldestFirst,
}

/// One page of `select` in (`at`, `id`) order after the request's cursor: the rows, and the
/// cursor of the next page when there is one. `id_value` is the cursor's id, parsed by the
/// caller into the column's type.
pub async fn fetch<E, A, I, V>(
    db: &impl sea_orm::ConnectionTrait,
    select: Select<E>,
    (at, id): (A, I),
    direction: Direction,
    limit: u64,
    after: Option<(OffsetDateTime, V)>,
    key_of: impl Fn(&E::Model) -> Key,
) -> Result<(Vec<E::Model>, Option<String>), sea_orm::DbErr>
where
    E: EntityTrait,
    A: ColumnTrait,
    I: ColumnTrait,
    V: Into<sea_orm::Value>,
{
    let mut select = select;
    if let Some((key_at, key_id)) = after {
        let key_id: sea_orm::Value = key_id.into();
        let later = match direction {
            Direction::NewestFirst => Condition::any()
                .add(at.lt(key_at))
                .add(Condition::all().add(at.eq(key_at)).add(id.lt(key_id))),
            Direction::OldestFirst => Condition::any()
                .add(at.gt(key_at))
                .add(Condition::all().add(at.eq(key_at)).add(id.gt(key_id))),
        };
        select = select.filter(later);
    }
    let select = match direction {
        Direction::NewestFirst => select.order_by_desc(at).order_by_desc(id),
        Direction::OldestFirst => select.order_by_asc(at).order_by_asc(id),
    };
    let mut rows = select.limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(key_of)
        .map(|key| Key::encode(key.at, &key.id));
    Ok((rows, next))
}

/// The search text as a LIKE pattern: lower-cased, `%`, `_` and `\` taken literally. None when
/// there is nothing to search for; too long a search is refused.
pub fn search_pattern(q: Option<&str>) -> ApiResult<Option<String>> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidSearch,
            msg(Text::PagingSearchTooLong).with("max", MAX_SEARCH_CHARS),
        ));
    }
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
}

/// `LOWER(column) LIKE pattern ESCAPE '\'`, on SQLite and PostgreSQL alike. (SQLite's LOWER
/// folds ASCII letters only.)
pub fn contains(column: impl ColumnTrait, pattern: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .like(LikeExpr::new(pattern).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_789).unwrap();
        let cursor = Key::encode(at, "a.b-c");
        let page = PageRequest::new(Some(10), Some(&cursor)).unwrap();
        assert_eq!(
            page.after,
            Some(Key {
                at,
                id: "a.b-c".into()
            })
        );
        for bad in ["", "!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("12.")] {
            let answer = PageRequest::new(None, Some(bad));
            if bad.is_empty() {
                assert_eq!(answer.unwrap().after, None);
            } else {
                assert_eq!(
                    answer.unwrap_err().code(),
                    ErrorCode::InvalidCursor,
                    "{bad}"
                );
            }
        }
        let not_a_number = PageRequest::new(None, Some(&Key::encode(at, "x"))).unwrap();
        assert!(not_a_number.after_id::<i64>().is_err());
    }

    #[test]
    fn limits_default_to_50_and_stop_at_200() {
        assert_eq!(PageRequest::new(None, None).unwrap().limit, 50);
        assert_eq!(PageRequest::new(Some(200), None).unwrap().limit, 200);
        for bad in [0, 201] {
            assert_eq!(
                PageRequest::new(Some(bad), None).unwrap_err().code(),
                ErrorCode::InvalidLimit
            );
        }
    }

    #[test]
    fn searches_take_wildcards_literally() {
        assert_eq!(search_pattern(Some("  ")).unwrap(), None);
        assert_eq!(
            search_pattern(Some(" Ada_100% \\ ")).unwrap().as_deref(),
            Some("%ada\\_100\\% \\\\%")
        );
        assert!(search_pattern(Some(&"x".repeat(201))).is_err());
    }
}
