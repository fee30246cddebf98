// Type declarations of the omniroute Node.js client.
//
// The API is proto/omniroute/v1/service.proto; these types are its messages
// as the client hands them over:
//   - field names are lowerCamelCase;
//   - enums are strings without their prefix ('EMAIL' for CHANNEL_EMAIL);
//     requests also accept the full proto name and the number;
//   - 64-bit integers (ids, sequences, reach, points) are decimal strings;
//     requests also accept numbers (exact integers only) and bigints;
//   - timestamps are Dates (requests also accept milliseconds since the epoch
//     and ISO 8601 strings); durations are milliseconds (requests also accept
//     strings such as '90s', '1h30m', '500ms');
//   - in a response every field is present: a message that is not set is
//     null, an id that is not set is '0', an enum that is not set is
//     'UNSPECIFIED'; a oneof's name says which member is set.
//
// Each interface tagged @proto has exactly the fields of that message
// (test/types.test.js checks them against the .proto files).

/// <reference types="node" />

import type { ChannelCredentials } from '@grpc/grpc-js';

// ================================================================ scalars

/** A 64-bit integer as the server sends it: a decimal string. */
export type Long = string;
/** A 64-bit integer in a request. */
export type LongInput = string | number | bigint;
/** A point in time in a request: a Date, milliseconds since the epoch, or an ISO 8601 string. */
export type TimeInput = Date | number | string;
/** A duration in a request: milliseconds, a string such as '90s', '1h30m', '500ms', or {seconds, nanos}. */
export type DurationInput = number | string | { seconds: LongInput; nanos?: number };

// ================================================================ enums

export type Channel =
  | 'UNSPECIFIED'
  | 'PUBLIC_SOCIAL'
  | 'PRIVATE_SOCIAL'
  | 'EMAIL'
  | 'VOICE'
  | 'CHAT'
  | 'SMS'
  | 'MESSAGING';
export type Direction = 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
export type Visibility = 'UNSPECIFIED' | 'PUBLIC' | 'PRIVATE';
export type IdentityKind =
  | 'UNSPECIFIED'
  | 'EMAIL'
  | 'PHONE'
  | 'SOCIAL_HANDLE'
  | 'SOCIAL_ID'
  | 'CRM_ID'
  | 'CUSTOM';
export type ConversationStatus =
  | 'UNSPECIFIED'
  | 'OPEN'
  | 'PENDING_CUSTOMER'
  | 'RESOLVED'
  | 'CLOSED'
  | 'MERGED';
export type ThreadOutcome =
  | 'UNSPECIFIED'
  | 'JOINED_BY_REFERENCE'
  | 'JOINED_BY_CONTINUITY'
  | 'OPENED'
  | 'REOPENED';
export type ActorKind = 'UNSPECIFIED' | 'CUSTOMER' | 'AGENT' | 'SYSTEM';
export type CallerCredential = 'UNSPECIFIED' | 'NONE' | 'API_KEY' | 'JWT' | 'CONFIG_FILE';
export type LinkMode = 'UNSPECIFIED' | 'EXPLICIT' | 'AUTOMATIC';
export type AgentPresence = 'UNSPECIFIED' | 'AVAILABLE' | 'BUSY' | 'AWAY' | 'OFFLINE';
export type SelectionStrategy =
  | 'UNSPECIFIED'
  | 'LONGEST_IDLE'
  | 'MOST_SPARE_CAPACITY'
  | 'ROUND_ROBIN'
  | 'BEST_SKILL_LEVEL';
export type TaskReason =
  | 'UNSPECIFIED'
  | 'INBOUND'
  | 'HANDOFF'
  | 'TRANSFER'
  | 'COMMITMENT'
  | 'REOPEN'
  | 'CLOSE_PUBLIC_LOOP';
export type TaskStatus = 'UNSPECIFIED' | 'WAITING' | 'OFFERED' | 'ASSIGNED' | 'COMPLETED' | 'CANCELLED';
export type TaskEnd = 'UNSPECIFIED' | 'DONE' | 'HANDED_OFF' | 'TRANSFERRED';
export type CancelReason =
  | 'UNSPECIFIED'
  | 'ABANDONED'
  | 'CONVERSATION_ENDED'
  | 'HANDED_OFF'
  | 'COMMITMENT_CLOSED'
  | 'TRANSFERRED';
export type OfferWithdrawal = 'UNSPECIFIED' | 'AGENT_UNAVAILABLE' | 'TASK_CANCELLED';
export type EscalationReason = 'UNSPECIFIED' | 'SLA_BREACHED' | 'COMMITMENT_MISSED';
export type CommitmentKind = 'UNSPECIFIED' | 'CALLBACK' | 'FOLLOW_UP' | 'PICKUP';
export type CommitmentStatus = 'UNSPECIFIED' | 'PENDING' | 'DUE' | 'MISSED' | 'FULFILLED' | 'CANCELLED';
/** OfferUpdate.Kind. */
export type OfferUpdateKind = 'UNSPECIFIED' | 'OFFERED' | 'ASSIGNED' | 'DECLINED' | 'EXPIRED' | 'WITHDRAWN';

// ================================================================ shared values

/** @proto omniroute.v1.Identity A normalized identity. */
export interface Identity {
  kind: IdentityKind;
  /** The social network, CRM or custom namespace; '' for email and phone. */
  network: string;
  value: string;
}

/** @proto omniroute.v1.RawIdentity input An identity as a channel gives it, before normalization. */
export interface RawIdentity {
  kind: IdentityKind;
  network?: string;
  value: string;
}

/** @proto omniroute.v1.Actor Who asked for a handoff, a link, a status change. */
export interface Actor {
  kind: ActorKind;
  /** The agent's id for AGENT; '' otherwise. */
  id: string;
}

/**
 * @proto omniroute.v1.Caller Who held the credential of the call that made
 * an audited event, as the server authenticated it (never from a request).
 */
export interface Caller {
  /** The API key's name, the JWT's subject, or the configuration file's path. */
  principal: string;
  /** 'admin', 'integration', 'agent' or 'reader'; '' without a credential. */
  role: string;
  credential: CallerCredential;
}

/** @proto omniroute.v1.Actor input */
export interface ActorInput {
  kind: ActorKind;
  id?: string;
}

// ================================================================ tenants

/** @proto omniroute.v1.ChannelSettings */
export interface ChannelSettings {
  channel: Channel;
  continuityWindow: number | null;
  firstResponseTarget: number | null;
}

/** @proto omniroute.v1.ChannelSettings input */
export interface ChannelSettingsInput {
  /** UNSPECIFIED: the default continuity window of every channel. */
  channel?: Channel;
  continuityWindow?: DurationInput;
  firstResponseTarget?: DurationInput;
}

/** @proto omniroute.v1.TenantSettings */
export interface TenantSettings {
  defaultCountryCode: string;
  channels: ChannelSettings[];
  mergeThreadsOnCustomerMerge: boolean;
  threadMergeWindow: number | null;
  maxBodyBytes: number;
  closePublicLoop: boolean;
  /** Milliseconds a closed conversation stays in memory before it is archived. */
  closedRetention: number | null;
}

/**
 * @proto omniroute.v1.TenantSettings input
 * Given at all, settings are taken as written: the booleans left out are
 * false (the server's defaults, used when no settings are given, are true).
 */
export interface TenantSettingsInput {
  defaultCountryCode?: string;
  channels?: ChannelSettingsInput[];
  mergeThreadsOnCustomerMerge?: boolean;
  threadMergeWindow?: DurationInput;
  maxBodyBytes?: number;
  closePublicLoop?: boolean;
  /** How long a closed conversation stays in memory (default 24 h); 0 archives it at once. */
  closedRetention?: DurationInput;
}

// ================================================================ customers

/** @proto omniroute.v1.Customer */
export interface Customer {
  customerId: Long;
  displayName: string;
  language: string;
  tier: number;
  reach: Long;
  createdAt: Date | null;
  identities: Identity[];
  conversationIds: Long[];
  /** Set ('0' otherwise) while merged into another customer. */
  mergedIntoCustomerId: Long;
  /** Its personal data was erased (eraseCustomer): no name, no identities. */
  erased: boolean;
}

/** @proto omniroute.v1.ThreadPair */
export interface ThreadPair {
  targetConversationId: Long;
  sourceConversationId: Long;
}

/** @proto omniroute.v1.LinkIdentityResponse */
export interface LinkIdentityResponse {
  /** The customer that owns the identity now. */
  customerId: Long;
  /** Set ('0' otherwise) when the link merged another customer into it. */
  absorbedCustomerId: Long;
  mergedThreads: ThreadPair[];
}

/** @proto omniroute.v1.LinkIdentityRequest input */
export interface LinkIdentityRequest {
  tenantId?: string;
  customerId: LongInput;
  identity: RawIdentity;
  actor: ActorInput;
  /** Default EXPLICIT. */
  mode?: LinkMode;
}

/** @proto omniroute.v1.MergeCustomersRequest input */
export interface MergeCustomersRequest {
  tenantId?: string;
  customerId: LongInput;
  otherCustomerId: LongInput;
  actor: ActorInput;
}

/** @proto omniroute.v1.UnmergeCustomerRequest input */
export interface UnmergeCustomerRequest {
  tenantId?: string;
  /** The absorbed customer. */
  customerId: LongInput;
  actor: ActorInput;
}

/** @proto omniroute.v1.EraseCustomerRequest input */
export interface EraseCustomerRequest {
  tenantId?: string;
  /** An active customer: those merged into it are erased with it. */
  customerId: LongInput;
  /** Who asked for it (a data protection officer, the customer). */
  actor: ActorInput;
}

/** @proto omniroute.v1.ExportedCustomer */
export interface ExportedCustomer {
  customerId: Long;
  displayName: string;
  language: string;
  tier: number;
  reach: Long;
  createdAt: Date | null;
  /** The identities it holds now (those of customers merged into it too). */
  identities: Identity[];
  /** Set ('0' otherwise) for a customer merged into another one. */
  mergedIntoCustomerId: Long;
}

/** @proto omniroute.v1.ExportedHandoff */
export interface ExportedHandoff {
  fromChannel: Channel;
  toChannel: Channel;
  reason: string;
  actor: Actor | null;
  at: Date | null;
}

/** @proto omniroute.v1.ExportedConversation */
export interface ExportedConversation {
  conversationId: Long;
  customerId: Long;
  status: ConversationStatus;
  firstChannel: Channel;
  channel: Channel;
  channelsUsed: Channel[];
  openedAt: Date | null;
  lastActivityAt: Date | null;
  firstResponseDue: Date | null;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
  handoffs: ExportedHandoff[];
  /** Set ('0' otherwise) for a conversation merged into another one. */
  mergedIntoConversationId: Long;
}

/** @proto omniroute.v1.ExportedMessage */
export interface ExportedMessage {
  /** The conversation that holds it now. */
  conversationId: Long;
  recordedAt: Date | null;
  /** As recorded: body, sender, references, keys, tags. */
  message: MessageRecorded | null;
}

/** @proto omniroute.v1.ExportedErasure */
export interface ExportedErasure {
  customerId: Long;
  erasedAt: Date | null;
  /** The customers merged into it, erased with it. */
  erasedWithCustomerIds: Long[];
}

/**
 * @proto omniroute.v1.CustomerExportRecord One record of a customer's export:
 * the customer, then each customer merged into it, then each conversation
 * followed by its messages; an erased customer's export is one erasure.
 */
export interface CustomerExportRecord {
  /** Which of the fields below is set. */
  record: 'customer' | 'conversation' | 'message' | 'erasure';
  customer?: ExportedCustomer;
  conversation?: ExportedConversation;
  message?: ExportedMessage;
  erasure?: ExportedErasure;
}

/** @proto omniroute.v1.ListConversationsRequest input */
export interface ConversationsPageRequest {
  tenantId?: string;
  customerId: LongInput;
  /** The most conversations to return, 1 to 1000; 0 or left out: the server's default, 100. */
  pageSize?: number;
  /** '' or left out for the first page; otherwise the nextPageToken of the page before. */
  pageToken?: string;
}

/** @proto omniroute.v1.ListConversationsResponse One page of a customer's conversations. */
export interface ConversationsPage {
  /** By id. */
  conversations: Conversation[];
  /**
   * Asks for the next page (as pageToken); '' on the last page. Only valid for
   * the same tenant and customer.
   */
  nextPageToken: string;
}

// ================================================================ conversations

/** @proto omniroute.v1.SenderProfile input */
export interface SenderProfile {
  displayName?: string;
  language?: string;
  reach?: LongInput;
}

/** @proto omniroute.v1.IngestMessageRequest input */
export interface IngestRequest {
  tenantId?: string;
  channel: Channel;
  sender: RawIdentity;
  profile?: SenderProfile;
  /** The source system's id; required. A redelivery is recognised. */
  externalId: string;
  threadKey?: string;
  references?: string[];
  body?: string;
  tags?: string[];
  /** UNSPECIFIED: the channel's visibility. */
  visibility?: Visibility;
}

/** @proto omniroute.v1.IngestMessageResponse */
export interface IngestMessageResponse {
  customerId: Long;
  conversationId: Long;
  messageId: Long;
  outcome: ThreadOutcome;
  customerCreated: boolean;
  /** Already stored: nothing changed. */
  duplicate: boolean;
  /** The task the message created, as it stands after routing; null if none. */
  task: Task | null;
}

/** @proto omniroute.v1.RecordOutboundRequest input */
export interface RecordOutboundRequest {
  tenantId?: string;
  conversationId: LongInput;
  /** Must be the conversation's current channel. */
  channel: Channel;
  externalId: string;
  references?: string[];
  body?: string;
  agentId?: string;
  visibility?: Visibility;
}

/** @proto omniroute.v1.HandoffRequest input */
export interface HandoffRequest {
  tenantId?: string;
  conversationId: LongInput;
  toChannel: Channel;
  reason?: string;
  actor: ActorInput;
}

/** @proto omniroute.v1.SetConversationStatusRequest input */
export interface SetConversationStatusRequest {
  tenantId?: string;
  conversationId: LongInput;
  status: ConversationStatus;
  actor: ActorInput;
}

/** @proto omniroute.v1.MergeConversationsRequest input */
export interface MergeConversationsRequest {
  tenantId?: string;
  targetConversationId: LongInput;
  sourceConversationId: LongInput;
  actor: ActorInput;
}

/** @proto omniroute.v1.SplitConversationRequest input */
export interface SplitConversationRequest {
  tenantId?: string;
  conversationId: LongInput;
  messageIds: LongInput[];
  actor: ActorInput;
}

/** @proto omniroute.v1.Handoff */
export interface Handoff {
  fromChannel: Channel;
  toChannel: Channel;
  reason: string;
  actor: Actor | null;
  at: Date | null;
}

/** @proto omniroute.v1.Conversation */
export interface Conversation {
  conversationId: Long;
  customerId: Long;
  status: ConversationStatus;
  firstChannel: Channel;
  channel: Channel;
  channelsUsed: Channel[];
  openedAt: Date | null;
  lastActivityAt: Date | null;
  /** The conversation's SLA clock: it does not restart at a handoff. */
  firstResponseDue: Date | null;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
  messageCount: number;
  handoffs: Handoff[];
  mergedIntoConversationId: Long;
  beganInPublic: boolean;
}

/** @proto omniroute.v1.Message */
export interface Message {
  messageId: Long;
  conversationId: Long;
  channel: Channel;
  direction: Direction;
  visibility: Visibility;
  externalId: string;
  threadKey: string;
  references: string[];
  body: string;
  /** The sender's identity for inbound messages; null for outbound ones. */
  sender: Identity | null;
  /** The agent for outbound messages. */
  agentId: string;
  recordedAt: Date | null;
}

/** @proto omniroute.v1.TimelineEntry One message or one handoff. */
export interface TimelineEntry {
  at: Date | null;
  /** Which of message and handoff is set. */
  entry: 'message' | 'handoff';
  message?: Message;
  handoff?: Handoff;
}

/** @proto omniroute.v1.GetTimelineRequest input */
export interface TimelinePageRequest {
  tenantId?: string;
  conversationId: LongInput;
  /** The most entries to return, 1 to 1000; 0 or left out: the server's default, 100. */
  pageSize?: number;
  /** '' or left out for the first page; otherwise the nextPageToken of the page before. */
  pageToken?: string;
}

/** @proto omniroute.v1.GetTimelineResponse One page of a timeline. */
export interface TimelinePage {
  /** Oldest first. */
  entries: TimelineEntry[];
  /**
   * Asks for the next page (as pageToken); '' on the last page. Only valid for
   * the same tenant and conversation.
   */
  nextPageToken: string;
}

// ================================================================ routing

/** @proto omniroute.v1.SkillLevel both */
export interface SkillLevel {
  skill: string;
  /** 1 to 10. */
  level: number;
}

/** @proto omniroute.v1.ChannelCost both */
export interface ChannelCost {
  channel: Channel;
  units: number;
}

/** @proto omniroute.v1.AgentConfig */
export interface AgentConfig {
  agentId: string;
  displayName: string;
  skills: SkillLevel[];
  channels: Channel[];
  capacity?: number;
  channelCosts: ChannelCost[];
  exclusiveChannels: Channel[];
  wrapUp: number | null;
}

/** @proto omniroute.v1.AgentConfig input */
export interface AgentConfigInput {
  /** 1 to 64 characters of [A-Za-z0-9._@-]. */
  agentId: string;
  displayName?: string;
  skills?: SkillLevel[];
  /** Channels the agent serves; at least one. */
  channels: Channel[];
  /** Capacity units in total. Unset: 4. */
  capacity?: number;
  channelCosts?: ChannelCost[];
  /** Empty: voice. ['UNSPECIFIED'] alone: none. */
  exclusiveChannels?: Channel[];
  wrapUp?: DurationInput;
}

/** @proto omniroute.v1.ExpansionStep */
export interface ExpansionStep {
  after: number | null;
  /** Which of relaxLevels and overflowQueueId is set. */
  action: 'relaxLevels' | 'overflowQueueId';
  relaxLevels?: number;
  overflowQueueId?: string;
}

/** @proto omniroute.v1.ExpansionStep input Exactly one of relaxLevels and overflowQueueId. */
export interface ExpansionStepInput {
  after: DurationInput;
  relaxLevels?: number;
  overflowQueueId?: string;
}

/** @proto omniroute.v1.QueueConfig */
export interface QueueConfig {
  queueId: string;
  displayName: string;
  requiredSkills: SkillLevel[];
  channels: Channel[];
  basePriority: number;
  firstResponseTarget: number | null;
  strategy: SelectionStrategy;
  autoAccept: boolean;
  offerTimeout: number | null;
  expansionSteps: ExpansionStep[];
}

/** @proto omniroute.v1.QueueConfig input */
export interface QueueConfigInput {
  /** 1 to 64 characters of [A-Za-z0-9._-]. */
  queueId: string;
  displayName?: string;
  requiredSkills?: SkillLevel[];
  /** At least one. */
  channels: Channel[];
  basePriority?: number;
  firstResponseTarget?: DurationInput;
  /** UNSPECIFIED: longest idle. */
  strategy?: SelectionStrategy;
  autoAccept?: boolean;
  offerTimeout?: DurationInput;
  expansionSteps?: ExpansionStepInput[];
}

/** @proto omniroute.v1.RoutingRule */
export interface RoutingRule {
  name: string;
  channels: Channel[];
  language: string;
  tags: string[];
  minTier: number;
  visibility: Visibility;
  queueId: string;
}

/** @proto omniroute.v1.RoutingRule input */
export interface RoutingRuleInput {
  name?: string;
  /** Empty: any channel. */
  channels?: Channel[];
  language?: string;
  tags?: string[];
  minTier?: number;
  visibility?: Visibility;
  queueId: string;
}

/** @proto omniroute.v1.PreferredAgentWait */
export interface PreferredAgentWait {
  channel: Channel;
  wait: number | null;
}

/** @proto omniroute.v1.PreferredAgentWait input */
export interface PreferredAgentWaitInput {
  channel: Channel;
  wait: DurationInput;
}

/** @proto omniroute.v1.RoutingSettings */
export interface RoutingSettings {
  rules: RoutingRule[];
  defaultQueueId: string;
  tierPoints?: number;
  reachPointsPerDecade?: number;
  maxPublicBoost?: number;
  slaBreachPoints?: number;
  missedCommitmentPoints?: number;
  agingPerPoint: number | null;
  defaultOfferTimeout: number | null;
  maxConsecutiveExpiries?: number;
  preferredAgentWaits: PreferredAgentWait[];
  defaultPreferredAgentWait: number | null;
}

/** @proto omniroute.v1.RoutingSettings input A field left out takes its default (include/omniroute/routing.h). */
export interface RoutingSettingsInput {
  rules?: RoutingRuleInput[];
  defaultQueueId?: string;
  tierPoints?: number;
  reachPointsPerDecade?: number;
  maxPublicBoost?: number;
  slaBreachPoints?: number;
  missedCommitmentPoints?: number;
  agingPerPoint?: DurationInput;
  defaultOfferTimeout?: DurationInput;
  maxConsecutiveExpiries?: number;
  preferredAgentWaits?: PreferredAgentWaitInput[];
  defaultPreferredAgentWait?: DurationInput;
}

/** @proto omniroute.v1.QueueStats */
export interface QueueStats {
  queueId: string;
  waiting: number;
  offered: number;
  assigned: number;
  entered: Long;
  assignedTotal: Long;
  cancelledTotal: Long;
  assignedWithinTarget: Long;
  oldestWaitingSince: Date | null;
}

/**
 * @proto omniroute.v1.WaitEstimate
 * How much longer a waiting task is expected to wait: its position over the
 * rate its queue answered tasks of its channel in the last 15 minutes.
 */
export interface WaitEstimate {
  /** 1: next in its queue and channel. 0: not waiting in a queue. */
  position: number;
  /** Milliseconds; null: unknown (fewer than 3 answers back the rate, or no signed-in agent serves the queue and channel). */
  wait: number | null;
  /** The answers the rate rests on. */
  answers: Long;
  /** The span they were counted over, in milliseconds. */
  span: number | null;
}

/**
 * @proto omniroute.v1.WindowFigures
 * A queue's activity over a sliding window of whole minutes (the current one
 * and those before it). Durations are milliseconds.
 */
export interface WindowFigures {
  window: number | null;
  /** Tasks that entered the queue. */
  offered: Long;
  answered: Long;
  answeredWithinTarget: Long;
  /** The customer gave up while waiting. */
  abandoned: Long;
  /** Assigned tasks finished, wrap-up included. */
  handled: Long;
  /** null when there is nothing to average. */
  averageSpeedOfAnswer: number | null;
  /** answeredWithinTarget / (answered + abandoned); absent when both are 0. */
  serviceLevel?: number;
  /** Assignment to the end of wrap-up; null when there is nothing to average. */
  averageHandleTime: number | null;
}

/**
 * @proto omniroute.v1.ChannelStatistics
 * One channel of a queue. The windows are named as proto-loader names
 * last_15_minutes and last_60_minutes: last_15Minutes, last_60Minutes.
 */
export interface ChannelStatistics {
  channel: Channel;
  waiting: number;
  /** Milliseconds; null when nothing waits. */
  longestWait: number | null;
  last_15Minutes: WindowFigures | null;
  last_60Minutes: WindowFigures | null;
  /** What a task entering the queue on this channel now would wait. */
  newTaskWait: WaitEstimate | null;
}

/**
 * @proto omniroute.v1.QueueStatistics
 * A queue now and over the last 15 and 60 minutes. The windows are named as
 * proto-loader names last_15_minutes and last_60_minutes: last_15Minutes,
 * last_60Minutes.
 */
export interface QueueStatistics {
  queueId: string;
  /** Waiting (those held for their preferred agent included), offered, assigned now. */
  waiting: number;
  offered: number;
  assigned: number;
  /** How long the oldest waiting task has waited, in milliseconds; null when nothing waits. */
  longestWait: number | null;
  /** Signed-in agents who serve the queue, each in one state: busy, else wrapping up, else available, else away. */
  agentsAvailable: number;
  agentsBusy: number;
  agentsWrappingUp: number;
  agentsAway: number;
  last_15Minutes: WindowFigures | null;
  last_60Minutes: WindowFigures | null;
  /** The queue's channels, in configuration order. */
  channels: ChannelStatistics[];
}

/** @proto omniroute.v1.GetQueueStatisticsResponse */
export interface GetQueueStatisticsResponse {
  /** In the order asked for; every queue in configuration order when none was named. */
  queues: QueueStatistics[];
  /** When the figures were read (the server's clock). */
  at: Date | null;
}

/** @proto omniroute.v1.WatchQueueStatisticsRequest input */
export interface WatchQueueStatisticsRequest {
  tenantId?: string;
  /** Left out or empty: every queue, those configured while the stream runs included. */
  queueIds?: string[];
  /** How often the figures are read again: 100 ms to 60 s. Left out: 1 s. */
  interval?: DurationInput;
}

/** @proto omniroute.v1.QueueStatisticsUpdate One update of the queue statistics stream. */
export interface QueueStatisticsUpdate {
  /** Every queue asked for in the first update; then those whose figures changed. */
  queues: QueueStatistics[];
  at: Date | null;
}

/** @proto omniroute.v1.GetIntervalReportRequest input */
export interface GetIntervalReportRequest {
  tenantId?: string;
  /** The start of the span; the server widens it down to a quarter hour of UTC. */
  from: TimeInput;
  /** The end of the span, after from and at most 31 days later; widened up to a quarter hour. */
  to: TimeInput;
}

/**
 * @proto omniroute.v1.IntervalFigures
 * One queue and channel over one 15-minute interval. Durations are milliseconds.
 */
export interface IntervalFigures {
  /** The interval's start, a quarter hour of UTC. */
  start: Date | null;
  queueId: string;
  channel: Channel;
  /** Tasks that entered the queue. */
  offered: Long;
  answered: Long;
  answeredWithinTarget: Long;
  /** The customer gave up while waiting. */
  abandoned: Long;
  /** Assigned tasks finished, wrap-up included. */
  handled: Long;
  /** Left the queue by a transfer. */
  transferred: Long;
  /** Left the queue with the customer for another channel. */
  handedOff: Long;
  /** Answers of conversations answered before, and of those by the agent of the previous answer. */
  repeatAnswers: Long;
  sameAgentAnswers: Long;
  /** null when nothing was answered. */
  averageSpeedOfAnswer: number | null;
  /** answeredWithinTarget / (answered + abandoned); absent when both are 0. */
  serviceLevel?: number;
  /** Assignment to the end of wrap-up; null when nothing was handled. */
  averageHandleTime: number | null;
  /** sameAgentAnswers / repeatAnswers; absent when there was no repeat answer. */
  sameAgentRate?: number;
}

/** @proto omniroute.v1.IntervalReport */
export interface IntervalReport {
  /** The span as the server widened it to whole 15-minute intervals. */
  from: Date | null;
  to: Date | null;
  /** The intervals, queues and channels with activity, by start, then queue, then channel. */
  rows: IntervalFigures[];
  /** Events the server read from the log for the report. */
  eventsRead: Long;
}

/** @proto omniroute.v1.AgentStatistics An agent's last 60 minutes. Durations are milliseconds. */
export interface AgentStatistics {
  agentId: string;
  presence: AgentPresence;
  at: Date | null;
  window: number | null;
  /** Time signed in, and of that holding assigned or wrapping-up work. */
  staffed: number | null;
  busy: number | null;
  /** busy / staffed; absent when the agent was not signed in during the window. */
  occupancy?: number;
  handled: Long;
  averageHandleTime: number | null;
}

/** @proto omniroute.v1.Agent */
export interface Agent {
  config: AgentConfig | null;
  presence: AgentPresence;
  load: number;
  offeredTaskIds: Long[];
  assignedTaskIds: Long[];
  wrappingUpTaskIds: Long[];
  consecutiveExpiries: number;
  lastAssignmentEnd: Date | null;
}

/** @proto omniroute.v1.SetAgentPresenceRequest input */
export interface SetPresenceRequest {
  tenantId?: string;
  agentId: string;
  presence: AgentPresence;
}

/** @proto omniroute.v1.Offer */
export interface Offer {
  agentId: string;
  offeredAt: Date | null;
  expiresAt: Date | null;
}

/** @proto omniroute.v1.Task */
export interface Task {
  taskId: Long;
  conversationId: Long;
  /** '' while unrouted. */
  queueId: string;
  channel: Channel;
  reason: TaskReason;
  status: TaskStatus;
  createdAt: Date | null;
  priorityPoints: Long;
  firstResponseDue: Date | null;
  preferredAgentId: string;
  preferredUntil: Date | null;
  /** Set while OFFERED. */
  offer: Offer | null;
  /** The agent working on it, or who did. */
  agentId: string;
  excludedAgentIds: string[];
  expansionStep: number;
  commitmentId: Long;
  previousTaskId: Long;
  end: TaskEnd;
  cancelReason: CancelReason;
  /** Set while WAITING in a queue, as of the read (getTask); null otherwise. */
  waitEstimate: WaitEstimate | null;
}

/** @proto omniroute.v1.OfferUpdate One update of the offer stream. */
export interface OfferUpdate {
  kind: OfferUpdateKind;
  /** The task as it stood when the update was made (the stream fills what its event says). */
  task: Task | null;
  /** The event's position in the tenant's log. */
  sequence: Long;
}

/** @proto omniroute.v1.OfferAnswerRequest input */
export interface OfferAnswerRequest {
  tenantId?: string;
  taskId: LongInput;
  agentId: string;
  /** Why the agent declined (optional). */
  reason?: string;
}

/** @proto omniroute.v1.CompleteTaskRequest input */
export interface CompleteTaskRequest {
  tenantId?: string;
  taskId: LongInput;
  agentId: string;
}

/** @proto omniroute.v1.TransferTaskRequest input Exactly one of queueId and agentId. */
export interface TransferTaskRequest {
  tenantId?: string;
  taskId: LongInput;
  queueId?: string;
  agentId?: string;
  actor: ActorInput;
}

/** @proto omniroute.v1.ConversationRouting */
export interface ConversationRouting {
  conversationId: Long;
  /** The agent of its latest assignment. */
  ownerAgentId: string;
  tasks: Task[];
  transfers: number;
  handoffs: number;
  /** Distinct agents assigned over its life. */
  agents: number;
  sameAgentThroughout: boolean;
}

// ================================================================ commitments

/** @proto omniroute.v1.RecordCommitmentRequest input */
export interface RecordCommitmentRequest {
  tenantId?: string;
  conversationId: LongInput;
  kind: CommitmentKind;
  description?: string;
  dueAt: TimeInput;
  /** Unset: dueAt + 1 hour. */
  deadline?: TimeInput;
  /** UNSPECIFIED: voice for a call-back, the conversation's channel otherwise. */
  channel?: Channel;
  queueId?: string;
  agentId?: string;
  actor: ActorInput;
}

/** @proto omniroute.v1.Commitment */
export interface Commitment {
  commitmentId: Long;
  conversationId: Long;
  kind: CommitmentKind;
  description: string;
  dueAt: Date | null;
  deadline: Date | null;
  channel: Channel;
  queueId: string;
  agentId: string;
  status: CommitmentStatus;
  taskId: Long;
  missed: boolean;
}

/** @proto omniroute.v1.CloseCommitmentRequest input */
export interface CloseCommitmentRequest {
  tenantId?: string;
  commitmentId: LongInput;
  /** FULFILLED or CANCELLED. */
  status: CommitmentStatus;
  actor: ActorInput;
  reason?: string;
}

// ================================================================ events

/** @proto omniroute.v1.WatchEventsRequest input */
export interface WatchRequest {
  tenantId?: string;
  /** 1 or more; left out (or 0): the whole log. */
  fromSequence?: LongInput;
}

/** @proto omniroute.v1.PingRequest input */
export interface PingRequest {
  payload?: Buffer | Uint8Array | string;
}

/** @proto omniroute.v1.ThreadMerge */
export interface ThreadMerge {
  targetConversationId: Long;
  sourceConversationId: Long;
  messageIds: Long[];
}

/** @proto omniroute.v1.TenantConfigured */
export interface TenantConfigured {
  settings: TenantSettings | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.CustomerCreated */
export interface CustomerCreated {
  customerId: Long;
  displayName: string;
  language: string;
  tier: number;
  reach: Long;
}
/** @proto omniroute.v1.IdentityLinked */
export interface IdentityLinked {
  customerId: Long;
  identity: Identity | null;
  actor: Actor | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.CustomersMerged */
export interface CustomersMerged {
  survivorId: Long;
  absorbedId: Long;
  movedIdentities: Identity[];
  movedConversationIds: Long[];
  threadMerges: ThreadMerge[];
  actor: Actor | null;
  linkedIdentity: Identity | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.CustomerUnmerged */
export interface CustomerUnmerged {
  customerId: Long;
  fromCustomerId: Long;
  restoredIdentities: Identity[];
  restoredConversationIds: Long[];
  restoredThreads: ThreadMerge[];
  actor: Actor | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/**
 * @proto omniroute.v1.ConversationArchived
 * @unsent archive
 * The conversation (with those merged into it) left the server's working
 * set; its history is still read with getConversation and getTimeline.
 */
export interface ConversationArchived {
  conversationId: Long;
  /** The change feed leaves the archive out: always null. */
  archive: null;
}
/** @proto omniroute.v1.CustomerErased Carries no personal data. */
export interface CustomerErased {
  customerId: Long;
  erasedWithCustomerIds: Long[];
  conversationIds: Long[];
  actor: Actor | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.ConversationOpened */
export interface ConversationOpened {
  conversationId: Long;
  customerId: Long;
  channel: Channel;
  firstResponseDue: Date | null;
  splitFromConversationId: Long;
}
/** @proto omniroute.v1.MessageRecorded */
export interface MessageRecorded {
  messageId: Long;
  conversationId: Long;
  channel: Channel;
  direction: Direction;
  visibility: Visibility;
  externalId: string;
  threadKey: string;
  references: string[];
  body: string;
  tags: string[];
  sender: Identity | null;
  agentId: string;
  outcome: ThreadOutcome;
}
/** @proto omniroute.v1.HandoffRecorded */
export interface HandoffRecorded {
  conversationId: Long;
  fromChannel: Channel;
  toChannel: Channel;
  reason: string;
  actor: Actor | null;
}
/** @proto omniroute.v1.ConversationStatusChanged */
export interface ConversationStatusChanged {
  conversationId: Long;
  fromStatus: ConversationStatus;
  toStatus: ConversationStatus;
  actor: Actor | null;
  reason: string;
}
/** @proto omniroute.v1.ConversationsMerged */
export interface ConversationsMerged {
  targetConversationId: Long;
  sourceConversationId: Long;
  messageIds: Long[];
  actor: Actor | null;
}
/** @proto omniroute.v1.ConversationSplit */
export interface ConversationSplit {
  sourceConversationId: Long;
  targetConversationId: Long;
  messageIds: Long[];
  actor: Actor | null;
}
/** @proto omniroute.v1.RoutingConfigured */
export interface RoutingConfigured {
  settings: RoutingSettings | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.QueueConfigured */
export interface QueueConfigured {
  queue: QueueConfig | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.AgentConfigured */
export interface AgentConfigured {
  agent: AgentConfig | null;
  /** Who made it (audit); null for events stored without one. */
  caller: Caller | null;
}
/** @proto omniroute.v1.AgentPresenceChanged */
export interface AgentPresenceChanged {
  agentId: string;
  fromPresence: AgentPresence;
  toPresence: AgentPresence;
  actor: Actor | null;
  reason: string;
}
/** @proto omniroute.v1.TaskCreated */
export interface TaskCreated {
  taskId: Long;
  conversationId: Long;
  queueId: string;
  channel: Channel;
  reason: TaskReason;
  priorityPoints: Long;
  preferredAgentId: string;
  preferredUntil: Date | null;
  firstResponseDue: Date | null;
  commitmentId: Long;
  previousTaskId: Long;
}
/** @proto omniroute.v1.TaskOffered */
export interface TaskOffered {
  taskId: Long;
  agentId: string;
  expiresAt: Date | null;
  conversationId: Long;
  channel: Channel;
  queueId: string;
}
/** @proto omniroute.v1.OfferDeclined */
export interface OfferDeclined {
  taskId: Long;
  agentId: string;
  reason: string;
}
/** @proto omniroute.v1.OfferExpired */
export interface OfferExpired {
  taskId: Long;
  agentId: string;
}
/** @proto omniroute.v1.OfferWithdrawn */
export interface OfferWithdrawn {
  taskId: Long;
  agentId: string;
  reason: OfferWithdrawal;
}
/** @proto omniroute.v1.TaskAssigned */
export interface TaskAssigned {
  taskId: Long;
  agentId: string;
  automatic: boolean;
  conversationId: Long;
  channel: Channel;
}
/** @proto omniroute.v1.TaskEnded */
export interface TaskEnded {
  taskId: Long;
  agentId: string;
  end: TaskEnd;
  wrapUpUntil: Date | null;
}
/** @proto omniroute.v1.WrapUpEnded */
export interface WrapUpEnded {
  taskId: Long;
  agentId: string;
}
/** @proto omniroute.v1.TaskCancelled */
export interface TaskCancelled {
  taskId: Long;
  reason: CancelReason;
}
/** @proto omniroute.v1.TaskReleased */
export interface TaskReleased {
  taskId: Long;
}
/** @proto omniroute.v1.TaskExpanded */
export interface TaskExpanded {
  taskId: Long;
  step: number;
  queueId: string;
}
/** @proto omniroute.v1.TaskFirstResponseMet */
export interface TaskFirstResponseMet {
  taskId: Long;
}
/** @proto omniroute.v1.TaskEscalated */
export interface TaskEscalated {
  taskId: Long;
  reason: EscalationReason;
  addedPoints: Long;
}
/** @proto omniroute.v1.CommitmentRecorded */
export interface CommitmentRecorded {
  commitmentId: Long;
  conversationId: Long;
  kind: CommitmentKind;
  description: string;
  dueAt: Date | null;
  deadline: Date | null;
  channel: Channel;
  queueId: string;
  agentId: string;
  actor: Actor | null;
}
/** @proto omniroute.v1.CommitmentDue */
export interface CommitmentDue {
  commitmentId: Long;
  taskId: Long;
}
/** @proto omniroute.v1.CommitmentMissed */
export interface CommitmentMissed {
  commitmentId: Long;
}
/** @proto omniroute.v1.CommitmentClosed */
export interface CommitmentClosed {
  commitmentId: Long;
  status: CommitmentStatus;
  actor: Actor | null;
  reason: string;
}

/** @proto omniroute.v1.Event The payload of each kind of event, by its field name. */
export interface EventPayloads {
  tenantConfigured: TenantConfigured;
  customerCreated: CustomerCreated;
  identityLinked: IdentityLinked;
  customersMerged: CustomersMerged;
  customerUnmerged: CustomerUnmerged;
  conversationOpened: ConversationOpened;
  messageRecorded: MessageRecorded;
  handoffRecorded: HandoffRecorded;
  conversationStatusChanged: ConversationStatusChanged;
  conversationsMerged: ConversationsMerged;
  conversationSplit: ConversationSplit;
  conversationArchived: ConversationArchived;
  customerErased: CustomerErased;
  routingConfigured: RoutingConfigured;
  queueConfigured: QueueConfigured;
  agentConfigured: AgentConfigured;
  agentPresenceChanged: AgentPresenceChanged;
  taskCreated: TaskCreated;
  taskOffered: TaskOffered;
  offerDeclined: OfferDeclined;
  offerExpired: OfferExpired;
  offerWithdrawn: OfferWithdrawn;
  taskAssigned: TaskAssigned;
  taskEnded: TaskEnded;
  wrapUpEnded: WrapUpEnded;
  taskCancelled: TaskCancelled;
  taskReleased: TaskReleased;
  taskExpanded: TaskExpanded;
  taskEscalated: TaskEscalated;
  commitmentRecorded: CommitmentRecorded;
  commitmentDue: CommitmentDue;
  commitmentMissed: CommitmentMissed;
  commitmentClosed: CommitmentClosed;
  taskFirstResponseMet: TaskFirstResponseMet;
}

export type EventPayloadName = keyof EventPayloads;

/** @proto omniroute.v1.Event What every event has, besides its payload. */
export interface EventBase {
  /** Position in the tenant's log: 1, 2, 3, ... without gaps. */
  sequence: Long;
  time: Date | null;
  tenantId: string;
  /** Which payload field is set. */
  payload: EventPayloadName;
}

/**
 * One event of the change feed: `payload` names the field that holds it.
 *   if (e.payload === 'messageRecorded') console.log(e.messageRecorded.body);
 */
export type Event = {
  [K in EventPayloadName]: EventBase & { payload: K } & { [P in K]: EventPayloads[K] };
}[EventPayloadName];

// ================================================================ errors

/** gRPC status codes by name: Status.INVALID_ARGUMENT === 3. */
export declare const Status: {
  readonly OK: 0;
  readonly CANCELLED: 1;
  readonly UNKNOWN: 2;
  readonly INVALID_ARGUMENT: 3;
  readonly DEADLINE_EXCEEDED: 4;
  readonly NOT_FOUND: 5;
  readonly ALREADY_EXISTS: 6;
  readonly PERMISSION_DENIED: 7;
  readonly RESOURCE_EXHAUSTED: 8;
  readonly FAILED_PRECONDITION: 9;
  readonly ABORTED: 10;
  readonly OUT_OF_RANGE: 11;
  readonly UNIMPLEMENTED: 12;
  readonly INTERNAL: 13;
  readonly UNAVAILABLE: 14;
  readonly DATA_LOSS: 15;
  readonly UNAUTHENTICATED: 16;
};

export type StatusName = keyof typeof Status;

/** What every promise of the client rejects with, and every stream throws. */
export declare class OmnirouteError extends Error {
  constructor(
    code: number,
    details: string,
    options?: { method?: string | null; metadata?: unknown; local?: boolean; outcomeUnknown?: boolean; cause?: unknown },
  );
  readonly name: 'OmnirouteError';
  /** The gRPC status code, a number (3). */
  readonly code: number;
  /** Its name ('INVALID_ARGUMENT'). */
  readonly codeName: StatusName | string;
  /** The server's message: the field and the reason ("external_id: required"). */
  readonly details: string;
  /** The field the message names, as the server spells it ('external_id', 'sender.value'); null if none. */
  readonly field: string | null;
  /** The RPC ('IngestMessage'), when the error came from one. */
  readonly method: string | null;
  /** The trailing metadata (a grpc-js Metadata), if any. */
  readonly metadata: unknown;
  /** True when the client refused the request before sending it (an unknown field, a wrong type). */
  readonly local: boolean;
  /**
   * True when the call may have been applied although it failed: the
   * connection dropped after it was sent, and the call is not one the client
   * repeats safely (README.md, "Several addresses"). Read the state to learn
   * what happened.
   */
  readonly outcomeUnknown: boolean;
  /**
   * Seconds to wait before trying again, when the server said so: a call
   * refused RESOURCE_EXHAUSTED because its tenant is over the server's
   * per-tenant limits (the google.rpc.RetryInfo of the status details).
   * null otherwise.
   */
  readonly retryDelay: number | null;
  static from(error: unknown, method?: string | null, extra?: { outcomeUnknown?: boolean; note?: string }): OmnirouteError;
}

// ================================================================ client

export interface ClientOptions {
  /** The tenant every call is for (a request's own tenantId wins). */
  tenant?: string;
  /**
   * An API key (`omr_...`) or a JWT, sent as `authorization: Bearer <token>`
   * on every call: unary calls, streams, retries on another address, a stream
   * that reconnects. Without TLS it is refused (an OmnirouteError,
   * INVALID_ARGUMENT, thrown by the constructor) unless every address is on
   * this machine (localhost, 127.0.0.0/8, [::1], unix:), or `insecure` is set.
   */
  token?: string;
  /** TLS, verifying the server against Node's trusted CAs (implied by tlsCa, tlsCert and tlsKey). */
  tls?: boolean;
  /**
   * The CAs that verify the server: a PEM file's path, or its bytes. The
   * server's certificate must name the host dialled (IP:10.0.0.5 in its
   * subjectAltName for '10.0.0.5:50051'). A file that cannot be read or holds
   * no PEM certificate: the constructor throws an OmnirouteError
   * (INVALID_ARGUMENT) naming the option, the file and the reason.
   */
  tlsCa?: string | Buffer;
  /** The client's certificate chain (path or PEM bytes), with tlsKey: for a server that requires mutual TLS. */
  tlsCert?: string | Buffer;
  /** The private key of tlsCert (path or PEM bytes). */
  tlsKey?: string | Buffer;
  /** Send `token` over plain text to an address that is not loopback all the same (a link something else encrypts). Default false. */
  insecure?: boolean;
  /** Channel credentials made by hand, instead of tls/tlsCa/tlsCert/tlsKey. Default: those, else plain text. */
  credentials?: ChannelCredentials;
  /** grpc-js channel options ('grpc.max_receive_message_length', ...). */
  channelOptions?: Record<string, unknown>;
  /** The folder that holds omniroute/v1/*.proto. Default: $OMNIROUTE_PROTO_DIR, else the repository's proto/. */
  protoRoot?: string;
  /** Deadline of each unary call, its retries included, in milliseconds; 0: none. Default 30000. */
  timeoutMs?: number;
  /** How calls that fail UNAVAILABLE are retried; false or null: never. Default: the defaults of RetryOptions. */
  retry?: RetryOptions | false | null;
}

/**
 * How a client retries a call that failed UNAVAILABLE: on the address the
 * server named in the trailing metadata `omniroute-owner`, else on the next
 * address, waiting before an address already tried during the call. Which
 * calls are retried: README.md, "Several addresses".
 */
export interface RetryOptions {
  /** The wait before the first address tried a second time within a call. Default 50. */
  initialBackoffMs?: number;
  /** The longest wait. Default 1000. */
  maxBackoffMs?: number;
  /** Each wait is the one before times this. Default 2. */
  multiplier?: number;
  /** Each wait is drawn within ± this fraction of it. Default 0.2. */
  jitter?: number;
  /** The longest a unary call goes on, its retries included; null: its timeoutMs (30000 when it has none). Default null. */
  budgetMs?: number | null;
  /** How long a stream keeps reconnecting after a break before it throws. Default 30000. */
  streamBudgetMs?: number;
}

export interface CallOptions {
  /** This call's deadline in milliseconds (streams: none unless given); 0: none. */
  timeoutMs?: number;
  /** Aborting cancels the call (a unary call then rejects with CANCELLED). */
  signal?: AbortSignal;
  /** Request metadata. */
  metadata?: Record<string, string | Buffer>;
}

/**
 * A server stream. Iterate it with `for await`; leaving the loop (break,
 * return, throw) cancels the call. A call the server ends with an error makes
 * the loop throw an OmnirouteError; cancel() or close() ends it quietly. A
 * break of the connection reconnects it (the change feed from the last
 * sequence received + 1; the offers and queue statistics by subscribing
 * again), for up to RetryOptions.streamBudgetMs per break.
 */
export interface ServerStream<T> extends AsyncIterableIterator<T> {
  readonly method: string;
  /** The server address the stream reads from now (or tried last). */
  readonly address: string;
  /** How many times the stream was opened again after a break. */
  readonly reconnects: number;
  next(): Promise<IteratorResult<T, undefined>>;
  return(): Promise<IteratorResult<T, undefined>>;
  cancel(): void;
}

/**
 * The omniroute.v1 API of one server (or of the nodes of a cluster), for one
 * tenant.
 *
 * A method whose request holds, besides the tenant, a single id or a single
 * configuration takes that value alone (getCustomer(id), upsertAgent(config));
 * every other takes the request object without tenantId, which it fills
 * from the client's tenant. A method resolves to nothing when the response is
 * empty, to the value of its one field when it has one (recordOutbound
 * resolves to the message id), and to the response otherwise. Lists the
 * server reads a page at a time have two methods: timeline(id) and
 * listConversations(id) resolve to the whole list; timelinePage and
 * listConversationsPage to one page and the token of the next.
 */
export declare class Client {
  /** address: 'host:port', several as 'a:1,b:2', or an array of them. */
  constructor(address: string | readonly string[], options?: ClientOptions);
  /** The tenant calls are for; null when none was given. */
  readonly tenant: string | null;
  /** The server addresses, in order. */
  readonly addresses: readonly string[];
  /** A client for another tenant on the same connections. */
  forTenant(tenant: string): Client;
  /** Resolves once one of the addresses is connected; rejects with DEADLINE_EXCEEDED after timeoutMs (default 10000). */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Cancels the open streams and closes the connections (shared with forTenant views). */
  close(): void;

  // tenants
  /** Creates the client's tenant. Without settings the server's defaults apply. */
  createTenant(settings?: TenantSettingsInput, options?: CallOptions): Promise<void>;
  listTenants(options?: CallOptions): Promise<string[]>;

  // customers
  getCustomer(customerId: LongInput, options?: CallOptions): Promise<Customer>;
  /** The active customer that owns an identity (normalized first). */
  findCustomer(identity: RawIdentity, options?: CallOptions): Promise<Customer>;
  /** Links an identity; if another customer owns it, the two merge (the older survives). */
  linkIdentity(request: LinkIdentityRequest, options?: CallOptions): Promise<LinkIdentityResponse>;
  mergeCustomers(request: MergeCustomersRequest, options?: CallOptions): Promise<LinkIdentityResponse>;
  /** Undoes the merge that absorbed a customer. */
  unmergeCustomer(request: UnmergeCustomerRequest, options?: CallOptions): Promise<void>;
  /**
   * Erases the customer's personal data (GDPR art. 17) and that of the
   * customers merged into it: names, identities, message bodies, senders,
   * references, tags and keys, everywhere they are kept. Open conversations
   * are closed. Erasing an erased customer again resolves and changes nothing
   * more. FAILED_PRECONDITION for a customer merged into another one (erase
   * that one) or with a live task or an open commitment.
   */
  eraseCustomer(request: EraseCustomerRequest, options?: CallOptions): Promise<void>;
  /**
   * Everything held about a customer (GDPR art. 15 and 20), record by
   * record; an erased customer's export is one `erasure` record.
   */
  exportCustomer(customerId: LongInput, options?: CallOptions): ServerStream<CustomerExportRecord>;
  /**
   * The customer's conversations (those merged into another left out), by id:
   * every page, read one after the other.
   */
  listConversations(customerId: LongInput, options?: CallOptions): Promise<Conversation[]>;
  /**
   * One page of the customer's conversations. INVALID_ARGUMENT naming page_size
   * (out of range) or page_token (not one the server gave for this tenant and
   * customer).
   */
  listConversationsPage(request: ConversationsPageRequest, options?: CallOptions): Promise<ConversationsPage>;

  // conversations
  /** Records a customer's message: resolves the customer, threads it, routes the work it creates. */
  ingest(request: IngestRequest, options?: CallOptions): Promise<IngestMessageResponse>;
  /** Records the brand's answer; resolves to the message id. */
  recordOutbound(request: RecordOutboundRequest, options?: CallOptions): Promise<Long>;
  /** Moves the conversation to another channel; resolves to its routing after the handoff. */
  handoff(request: HandoffRequest, options?: CallOptions): Promise<ConversationRouting>;
  setConversationStatus(request: SetConversationStatusRequest, options?: CallOptions): Promise<void>;
  mergeConversations(request: MergeConversationsRequest, options?: CallOptions): Promise<void>;
  /** Resolves to the new conversation's id. */
  splitConversation(request: SplitConversationRequest, options?: CallOptions): Promise<Long>;
  getConversation(conversationId: LongInput, options?: CallOptions): Promise<Conversation>;
  /**
   * Messages and handoffs across every channel, oldest first: the whole
   * thread, every page read one after the other.
   */
  timeline(conversationId: LongInput, options?: CallOptions): Promise<TimelineEntry[]>;
  /**
   * One page of the timeline, oldest first. INVALID_ARGUMENT naming page_size
   * (out of range) or page_token (not one the server gave for this tenant and
   * conversation).
   */
  timelinePage(request: TimelinePageRequest, options?: CallOptions): Promise<TimelinePage>;

  // routing
  configureRouting(settings: RoutingSettingsInput, options?: CallOptions): Promise<void>;
  getRoutingSettings(options?: CallOptions): Promise<RoutingSettings>;
  upsertQueue(queue: QueueConfigInput, options?: CallOptions): Promise<void>;
  getQueue(queueId: string, options?: CallOptions): Promise<QueueConfig>;
  queueStats(queueId: string, options?: CallOptions): Promise<QueueStats>;
  /**
   * Queues now and over the last 15 and 60 minutes (service level, speed of
   * answer, handle time, abandoned, agents by state, estimated waits): those
   * named, in that order, or every queue (left out or empty). NOT_FOUND naming
   * queue_ids[i] for an unknown queue.
   */
  queueStatistics(queueIds?: string[], options?: CallOptions): Promise<GetQueueStatisticsResponse>;
  /**
   * Queue statistics pushed: every queue asked for when the stream opens, then
   * the queues whose figures changed, read again every interval (100 ms to
   * 60 s, default 1 s; outside it the loop throws INVALID_ARGUMENT naming
   * interval). Runs until cancelled; a reconnected stream starts again with
   * every queue.
   */
  watchQueueStatistics(request?: WatchQueueStatisticsRequest, options?: CallOptions): ServerStream<QueueStatisticsUpdate>;
  /** Registers an agent or replaces their skills, channels and capacity. */
  upsertAgent(agent: AgentConfigInput, options?: CallOptions): Promise<void>;
  getAgent(agentId: string, options?: CallOptions): Promise<Agent>;
  /** An agent's last 60 minutes: time staffed and busy, occupancy, handled, average handle time. NOT_FOUND for an unknown agent. */
  agentStatistics(agentId: string, options?: CallOptions): Promise<AgentStatistics>;
  /**
   * Queue figures per 15-minute interval (quarter hours of UTC), queue and
   * channel from `from` to `to`, widened to whole intervals: one row per
   * interval, queue and channel with activity, by start, queue, channel.
   * INVALID_ARGUMENT naming from or to when one is missing, naming to when it
   * is not after from or the span exceeds 31 days.
   */
  intervalReport(request: GetIntervalReportRequest, options?: CallOptions): Promise<IntervalReport>;
  setPresence(request: SetPresenceRequest, options?: CallOptions): Promise<void>;
  /** Resolves to the task as it stands after the answer. */
  acceptOffer(request: OfferAnswerRequest, options?: CallOptions): Promise<Task>;
  declineOffer(request: OfferAnswerRequest, options?: CallOptions): Promise<Task>;
  completeTask(request: CompleteTaskRequest, options?: CallOptions): Promise<Task>;
  /** Moves the work to a queue or a named agent; resolves to the new task. */
  transferTask(request: TransferTaskRequest, options?: CallOptions): Promise<Task>;
  /** The customer gave up. */
  abandonTask(taskId: LongInput, options?: CallOptions): Promise<Task>;
  /** The task as it stands; while it waits in a queue, waitEstimate says its position and expected wait. */
  getTask(taskId: LongInput, options?: CallOptions): Promise<Task>;
  conversationRouting(conversationId: LongInput, options?: CallOptions): Promise<ConversationRouting>;
  /** Fires the routing timers due now; resolves to how many fired. */
  runDueTimers(options?: CallOptions): Promise<number>;
  /**
   * The offers made to one agent: first those pending when the stream opens,
   * then each new one, and the end of each. Runs until cancelled.
   */
  offers(agentId: string, options?: CallOptions): ServerStream<OfferUpdate>;

  // commitments
  recordCommitment(request: RecordCommitmentRequest, options?: CallOptions): Promise<Commitment>;
  closeCommitment(request: CloseCommitmentRequest, options?: CallOptions): Promise<Commitment>;
  getCommitment(commitmentId: LongInput, options?: CallOptions): Promise<Commitment>;
  listCommitments(conversationId: LongInput, options?: CallOptions): Promise<Commitment[]>;

  // events
  /**
   * The tenant's events in log order from fromSequence on (default 1): those
   * stored, then each new one. A break of the connection is resumed by the
   * stream from the last sequence received + 1; after an error it threw,
   * watch again from there: nothing is missed or repeated.
   */
  watch(request?: WatchRequest, options?: CallOptions): ServerStream<Event>;
  /** The sequence of the tenant's latest event ('0' for none). */
  lastSequence(options?: CallOptions): Promise<Long>;

  // diagnostics
  /** Answers at once without touching any tenant; resolves to the payload sent back. */
  ping(request?: PingRequest, options?: CallOptions): Promise<Buffer>;
}

// ================================================================ identities and actors

export declare function email(address: string): RawIdentity;
export declare function phone(number: string): RawIdentity;
export declare function handle(network: string, value: string): RawIdentity;
export declare function socialId(network: string, value: string): RawIdentity;
export declare function crmId(value: string, network?: string): RawIdentity;
export declare function customIdentity(network: string, value: string): RawIdentity;
/** An agent as the actor. */
export declare function agent(id: string): ActorInput;
export declare function customer(): ActorInput;
export declare function system(): ActorInput;

/** The .proto files as the client loaded them (for tools that walk the schema). */
export declare class Schema {
  constructor(protoRoot?: string);
  readonly protoRoot: string;
}
/** The repository's proto/ folder, the default protoRoot. */
export declare const DEFAULT_PROTO_ROOT: string;
/** The retry policy a client has unless options.retry says otherwise. */
export declare const DEFAULT_RETRY: Readonly<Required<RetryOptions>>;
