import { registry } from "@web/core/registry";
import { GraphModel } from "@web/views/graph/graph_model";
import { graphView } from "@web/views/graph/graph_view";

/**
 * The series of a pyramid graph (grades A to E under each tier, tiers month by
 * month in the movements) in the declaration order of the selection they are
 * grouped by. The server already returns the groups in that order; the standard
 * graph then orders its series by first appearance, e.g. the grade of the first bar
 * first.
 */
export class ProspectPyramidGraphModel extends GraphModel {
    _getData(dataPoints, forceUseAllDataPoints) {
        const data = super._getData(dataPoints, forceUseAllDataPoints);
        const { domains, fields, groupBy, mode } = this.metaData;
        if (mode === "pie" || groupBy.length !== 2 || domains.length !== 1) {
            return data;
        }
        const field = fields[groupBy[1].fieldName];
        if (field.type !== "selection") {
            return data;
        }
        const rank = new Map(field.selection.map(([, label], index) => [label, index]));
        const position = (dataset) =>
            rank.has(dataset.label) ? rank.get(dataset.label) : field.selection.length;
        data.datasets = [...data.datasets].sort((a, b) => position(a) - position(b));
        return data;
    }
}

export const prospectPyramidGraphView = {
    ...graphView,
    Model: ProspectPyramidGraphModel,
};

registry.category("views").add("prospect_pyramid_graph", prospectPyramidGraphView);
