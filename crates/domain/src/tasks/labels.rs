//! The owner's labels, by the same rules as their tasks: storage acts only
//! while the bearer is live, and a miss is checked against the bearer.

use super::OwnerTasks;
use crate::error::{Error, Result};
use crate::label::{Label, LabelChanges, LabelId, NewLabel};

impl OwnerTasks {
    /// Every label of the owner, by name.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the bearer is not live;
    /// [`Error::Unavailable`] when storage cannot be reached.
    pub async fn labels(&self) -> Result<Vec<Label>> {
        let labels = self.service.labels.list(&self.bearer).await?;
        if labels.is_empty() {
            self.ensure_live().await?;
        }
        Ok(labels)
    }

    /// Creates a label.
    ///
    /// # Errors
    /// As [`OwnerTasks::labels`]; [`Error::LabelTaken`] or
    /// [`Error::TooManyLabels`] as the port says.
    pub async fn create_label(&self, label: NewLabel) -> Result<Label> {
        let now = self.service.clock.now();
        match self.service.labels.create(&self.bearer, label, now).await? {
            Some(label) => Ok(label),
            None => {
                self.ensure_live().await?;
                Err(Error::internal("a live bearer's label was not stored"))
            }
        }
    }

    /// One label.
    ///
    /// # Errors
    /// As [`OwnerTasks::labels`], and [`Error::NotFound`] when the owner
    /// has no such label.
    pub async fn label(&self, id: LabelId) -> Result<Label> {
        match self.service.labels.get(&self.bearer, id).await? {
            Some(label) => Ok(label),
            None => Err(self.unless_revoked(Error::NotFound).await),
        }
    }

    /// Renames or recolors a label; empty changes write nothing.
    ///
    /// # Errors
    /// As [`OwnerTasks::label`]; [`Error::LabelTaken`] for another label's
    /// name.
    pub async fn update_label(&self, id: LabelId, changes: LabelChanges) -> Result<Label> {
        if changes == LabelChanges::default() {
            return self.label(id).await;
        }
        let now = self.service.clock.now();
        let written = self
            .service
            .labels
            .update(&self.bearer, id, changes, now)
            .await;
        self.explain_miss(written).await
    }

    /// Deletes a label, taking it off its tasks.
    ///
    /// # Errors
    /// As [`OwnerTasks::label`].
    pub async fn delete_label(&self, id: LabelId) -> Result<()> {
        let now = self.service.clock.now();
        let deleted = self.service.labels.delete(&self.bearer, id, now).await;
        self.explain_miss(deleted).await
    }
}
