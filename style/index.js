import './base.css';
import './productionize.css';
