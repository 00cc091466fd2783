// The agent's transfer rules as the engine receives them in Start.transfer_rules (engine.proto
// TransferRule): the flat destination string is what the engine must send back in transfer_number.
import type { TransferRuleConfig } from '../config/transfer-schema'
import { transferRuleTarget } from '../config/transfer-schema'
import type { TransferRuleMsg } from '../engine/engine-messages'

export function transferRuleMessages (rules: readonly TransferRuleConfig[] | undefined): TransferRuleMsg[] {
  return (rules ?? []).map(r => ({
    destination_type: r.transfer_destination.type,
    destination: transferRuleTarget(r),
    condition: r.condition,
    transfer_type: r.transfer_type === 'sip_refer' ? 'TRANSFER_TYPE_SIP_REFER' : 'TRANSFER_TYPE_CONFERENCE'
  }))
}
