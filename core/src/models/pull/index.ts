/** `shimmy pull`: models from the Hugging Face hub into its cache, where discovery lists them. */
export { DEFAULT_QUANT_ORDER, pickGguf, type HubFile, type PickedModel } from "./pick-file.js";
export { HubApi, type HubApiOptions, type HubModelInfo, type HubTreeEntry } from "./hub-api.js";
export { HubCacheRepo } from "./hub-cache.js";
export { downloadFile, type DownloadOptions, type DownloadResult } from "./download.js";
export { parseModelRef, type ModelRef } from "./model-ref.js";
export { PullError, type PullErrorCode } from "./pull-error.js";
export { forgetPulled, pulledRecordPath, readPulled, recordPulled, type PulledFile } from "./pulled-record.js";
export { pullModel, type PullEvent, type PullOptions, type PullPlan, type PullResult } from "./pull-model.js";
export { TransferRate, type TransferSample } from "./transfer-rate.js";
