//! Page sizes: every list holds 1 to 100 items, 50 unless asked. REST clamps
//! what it is given (as DRF's pagination does); GraphQL reports it.

use crate::error::{Error, Result};

/// A valid page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize(usize);

impl PageSize {
    pub const MAX: usize = 100;
    pub const DEFAULT: PageSize = PageSize(50);

    /// Any requested size, brought into range (absent: the default).
    pub fn clamped(requested: Option<i64>) -> Self {
        requested.map_or(Self::DEFAULT, |n| {
            // In 1..=MAX after the clamp, so the conversion cannot fail.
            PageSize(usize::try_from(n.clamp(1, Self::MAX as i64)).unwrap_or(Self::MAX))
        })
    }

    /// A requested size that must already be in range; otherwise a
    /// validation error on `limit`.
    pub fn strict(requested: i64) -> Result<Self> {
        usize::try_from(requested)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(PageSize)
            .ok_or_else(|| {
                Error::field(
                    "limit",
                    format!("Ensure this value is between 1 and {}.", Self::MAX),
                )
            })
    }

    pub fn get(self) -> usize {
        self.0
    }
}

/// An offset into a list: negative values count as zero, as in DRF.
pub fn offset(requested: Option<i64>) -> u64 {
    requested.map_or(0, |n| u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_clamp_or_refuse() {
        assert_eq!(PageSize::clamped(None).get(), 50);
        assert_eq!(PageSize::clamped(Some(0)).get(), 1);
        assert_eq!(PageSize::clamped(Some(1_000)).get(), 100);
        assert_eq!(PageSize::clamped(Some(i64::MIN)).get(), 1);
        assert_eq!(PageSize::strict(100).map(PageSize::get).ok(), Some(100));
        assert!(PageSize::strict(0).is_err());
        assert!(PageSize::strict(101).is_err());
        assert!(PageSize::strict(-1).is_err());
        assert_eq!(offset(Some(-5)), 0);
        assert_eq!(offset(Some(7)), 7);
    }
}
