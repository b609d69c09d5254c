import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { GraphModel } from "@web/views/graph/graph_model";
import { graphView } from "@web/views/graph/graph_view";

/**
 * The workload graph: the planned contacts of the salespeople (stacked bars, week
 * by week) with their capacity drawn over them as a line, where the standard
 * stacked graph draws the sum of the bars. Over-loaded weeks are the bars that
 * rise above the line.
 */
export class ProspectWorkloadGraphModel extends GraphModel {
    async _loadDataPoints(metaData) {
        const dataPoints = await super._loadDataPoints(metaData);
        this.capacityByLabel = null;
        const { measure, groupBy, domains } = metaData;
        if (measure === "planned_contacts" && groupBy.length && domains.length === 1) {
            const capacityPoints = await super._loadDataPoints({
                ...metaData,
                measure: "capacity",
                groupBy: [groupBy[0]],
            });
            this.capacityByLabel = new Map(
                capacityPoints.map((point) => [point.labels[0], point.value])
            );
        }
        return dataPoints;
    }

    _getLineOverlayDataset() {
        if (!this.capacityByLabel || !this.data.datasets.length) {
            return super._getLineOverlayDataset();
        }
        const labels = this.data.labels;
        return {
            label: _t("Capacity"),
            data: labels.map((label) => this.capacityByLabel.get(label) || 0),
            trueLabels: this.data.datasets[0].trueLabels || labels,
        };
    }
}

export const prospectWorkloadGraphView = {
    ...graphView,
    Model: ProspectWorkloadGraphModel,
};

registry.category("views").add("prospect_workload_graph", prospectWorkloadGraphView);
