import { ActivityListPopoverItem } from "@mail/core/web/activity_list_popover_item";
import { patch } from "@web/core/utils/patch";

patch(ActivityListPopoverItem.prototype, {
    async onClickMarkAsDone() {
        if (!this.props.activity.prospect_cadence) {
            return super.onClickMarkAsDone(...arguments);
        }
        // a cadence contact is done with its outcome, not with free text
        await this.props.activity.logProspectOutcome();
        this.props.onActivityChanged?.();
    },
});
