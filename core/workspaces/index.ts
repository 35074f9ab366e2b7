export {
  deployWorkspace,
  settleEndedWorkspaceDeploy,
  settleInterruptedDeploys,
  type WorkspaceDeployResult,
} from './deploy-workspace.js';
export { type LoadedUnits, loadUnits } from './load-units.js';
export {
  MAX_PAUSE_REASON,
  PAUSES,
  pausedSentence,
  type WorkspacePause,
} from './pause.js';
export { BranchPoller, type BranchPollerOptions } from './poll-branches.js';
export {
  type OpenedPreview,
  PREVIEWS,
  PREVIEWS_ON,
  PreviewService,
  previewName,
  type WorkspacePreview,
} from './previews.js';
export {
  type CreateWorkspaceInput,
  createWorkspaceSchema,
  DNS_LABEL,
  defaultAlias,
  isValidRefName,
  pauseWorkspaceSchema,
  type UpdateWorkspaceInput,
  updateWorkspaceSchema,
} from './schema.js';
export {
  type DriftCheck,
  type DriftState,
  DriftWatcher,
  type DriftWatcherOptions,
  driftState,
} from './watch-drift.js';
export {
  DEFAULT_BRANCH,
  DEFAULT_TIMEOUT_SECONDS,
  type DeployRequest,
  type PauseListener,
  type ResumeOutcome,
  WorkspaceService,
  workspaceTarget,
} from './workspace-service.js';
