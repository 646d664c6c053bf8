import { Field, InputType, registerEnumType } from 'type-graphql';
import { RunOrderField } from '../../runs/runList.js';

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(OrderDirection, { name: 'OrderDirection' });
registerEnumType(RunOrderField, {
  name: 'RunOrderField',
  description:
    'A column of the runs table: MODEL_PACK sorts by pack name, IDENTITIES by identities stored, PROGRESS by ' +
    'iteration over total; runs not started (STARTED_AT) or not finished (DURATION) sort as the latest or longest',
});

@InputType({ description: 'Order of a runs connection; ties are broken by run id, in the same direction' })
export class RunOrder {
  @Field(() => RunOrderField)
  field!: RunOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  direction!: OrderDirection;
}
